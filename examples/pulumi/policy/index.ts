// The cmek CrossGuard pack: `pulumi preview --policy-pack ./policy` runs the CMEK rules on the
// cmek resources and on AWS RDS / KMS and Google Cloud SQL / KMS resources of any stack.
import { cmekPolicyPack } from 'cmek/pulumi-policy';

cmekPolicyPack('cmek');
