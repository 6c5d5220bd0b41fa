package consumer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/event"
)

func envelope(t *testing.T, typ event.Type, id string) string {
	t.Helper()
	e, err := event.New(typ, "VA-111-222", map[string]string{"id": id}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.ID = id
	return string(mustJSON(t, e))
}

func TestEvents_Handle(t *testing.T) {
	var handled []string
	c := &Events{
		Name:   "test",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Handlers: map[event.Type]EventFunc{
			event.RequestCreated: func(ctx context.Context, e event.Event) error {
				handled = append(handled, e.ID)
				switch e.ID {
				case "EV-fail":
					return errors.New("dependency down")
				case "EV-panic":
					panic("bug")
				}
				return nil
			},
		},
	}
	in := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: envelope(t, event.RequestCreated, "EV-ok")},
		{MessageId: "m2", Body: envelope(t, event.RequestCreated, "EV-fail")},
		{MessageId: "m3", Body: "not json"},
		{MessageId: "m4", Body: envelope(t, event.RequestCreated, "EV-panic")},
		{MessageId: "m5", Body: envelope(t, event.TokenCreated, "EV-ignored")},
		{MessageId: "m6", Body: envelope(t, event.RequestCreated, "EV-after")},
	}}
	resp, err := c.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if diff := cmp.Diff([]string{"m2", "m3", "m4"}, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"EV-ok", "EV-fail", "EV-panic", "EV-after"}, handled); diff != "" {
		t.Errorf("handled (-want +got):\n%s", diff)
	}
}
