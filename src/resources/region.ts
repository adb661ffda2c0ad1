// The `region` attribute's schema: a region of the table in src/model/regions.ts (an AWS region
// or a GCP location), judged at plan time as CONFIG_SCHEMA with a "did you mean".
import { z } from 'zod';
import { regionProblem } from '../model/regions.js';

/** Any known AWS region or GCP location (services, replicas, clones, restores). Keys check
 * their family in their own validation (`key_ring` keys need a GCP location). */
export const REGION_SCHEMA: z.ZodType<string> = z
  .string()
  .min(1)
  .superRefine((region, ctx) => {
    const problem = regionProblem(region, 'any');
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
