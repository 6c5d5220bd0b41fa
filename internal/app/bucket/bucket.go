// Package bucket builds the client of the usage bucket, which the API,
// usage processing and billing's exports share; a package of its own so
// that the functions without S3 do not link it.
package bucket

import (
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/app/function"
)

// Client is the client of the usage bucket.
func Client(b *function.Base) *s3.Client {
	// Emulators serve every bucket under one host, so they need
	// path-style addresses; real S3 prefers virtual-hosted ones.
	pathStyle := b.AWS.BaseEndpoint != nil
	return s3.NewFromConfig(b.AWS, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}
