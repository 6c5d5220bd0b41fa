// Package stack makes template.yaml the single source of truth for the
// local stack's resources. It parses the SAM template, deploys a body
// derived from it (plain CloudFormation, less the functions and APIs the
// local runtime stands in for) to the emulator's CloudFormation, applies the
// properties the emulator ignores (bucket notifications to SQS, DynamoDB
// TTL) from the same template, and resolves resource names and function environments against
// the deployed stack. It keeps no second list of resources.
package stack
