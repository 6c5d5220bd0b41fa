package moto

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// DefaultRegion is the region used when AWS_REGION is not set.
const DefaultRegion = "us-east-1"

// AWSConfig returns an aws.Config that talks to the emulator at endpoint
// with the static test/test credentials emulators accept. The region is
// AWS_REGION or us-east-1. Nothing else is read from the environment or the
// shared config files, so a developer's real AWS profile can never leak into
// the local stack.
//
// S3 clients built from it must set o.UsePathStyle = true: emulators do not
// serve virtual-hosted bucket names.
func AWSConfig(_ context.Context, endpoint string) (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = DefaultRegion
	}
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("test", "test", "")),
		BaseEndpoint: aws.String(endpoint),
		// The emulator runs on one core beside the tests; more retries
		// than the SDK's default three ride out a slow moment. Retried
		// transactions are safe: the shim honours ClientRequestToken.
		RetryMaxAttempts: 10,
	}, nil
}
