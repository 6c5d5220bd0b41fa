// Package sqsqueue sends the webhook dispatcher's messages to its SQS queue.
// It is apart from package webhook so that the API, which shares webhook's
// service but schedules no attempt, does not link the SQS client.
package sqsqueue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/internal/webhook"
)

// API is the part of the SQS client the queue uses.
type API interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue is the webhook queue at URL.
type Queue struct {
	Client API
	URL    string
}

// Send sends m with SendMessage.
func (q *Queue) Send(ctx context.Context, m webhook.QueueMessage) error {
	_, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(m.Body),
		DelaySeconds: m.DelaySeconds, MessageAttributes: attributes(m)})
	return err
}

// SendBatch sends ms with one SendMessageBatch, and fails when SQS refuses
// any entry.
func (q *Queue) SendBatch(ctx context.Context, ms []webhook.QueueMessage) error {
	entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(ms))
	for i, m := range ms {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(m.Body),
			DelaySeconds: m.DelaySeconds, MessageAttributes: attributes(m)})
	}
	out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
	if err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("%d of %d tasks refused (%s)", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Code))
	}
	return nil
}

// attributes are m's message attributes: its kind, when it has one.
func attributes(m webhook.QueueMessage) map[string]sqstypes.MessageAttributeValue {
	if m.Kind == "" {
		return nil
	}
	return map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String(m.Kind)}}
}
