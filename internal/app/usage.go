package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// usageObject decodes one S3 notification. S3 sends an s3:TestEvent when a
// notification configuration is saved; it carries no records and is
// acknowledged.
func (a *App) usageObject(ctx context.Context, msg events.SQSMessage) error {
	var n events.S3Event
	if err := json.Unmarshal([]byte(msg.Body), &n); err != nil {
		return fmt.Errorf("usage: message %s is not an S3 notification: %w", msg.MessageId, err)
	}
	for _, rec := range n.Records {
		a.Log.InfoContext(ctx, "usage: object created",
			slog.String("bucket", rec.S3.Bucket.Name), slog.String("key", rec.S3.Object.URLDecodedKey),
			slog.Int64("size", rec.S3.Object.Size))
	}
	return nil
}
