package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// SQSHandler is the signature of a queue consumer.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// ScheduleHandler is the signature of a scheduled run.
type ScheduleHandler func(context.Context, events.EventBridgeEvent) error

// SQSOrSchedule serves a function that template.yaml gives both an SQS and
// a Schedule event: Lambda hands both to the same handler, so it tells them
// apart by shape.
func SQSOrSchedule(onSQS SQSHandler, onSchedule ScheduleHandler) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records    []json.RawMessage `json:"Records"`
			DetailType string            `json:"detail-type"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("event is not JSON: %w", err)
		}
		switch {
		case probe.Records != nil:
			var in events.SQSEvent
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, fmt.Errorf("decode SQS event: %w", err)
			}
			return onSQS(ctx, in)
		case probe.DetailType != "":
			var in events.EventBridgeEvent
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, fmt.Errorf("decode scheduled event: %w", err)
			}
			return nil, onSchedule(ctx, in)
		}
		return nil, fmt.Errorf("event is neither an SQS batch nor a scheduled event")
	}
}
