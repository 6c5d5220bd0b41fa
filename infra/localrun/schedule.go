package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
)

// cronFallback is the period used for cron(...) expressions. Local runs are
// short, and what matters is that scheduled code runs at all; evaluating
// EventBridge's cron dialect (L, W, #, years) is not worth it here.
const cronFallback = time.Hour

// scheduleSource invokes a function periodically, as an EventBridge rule
// would. The first invocation comes one period after start, like a new
// rate rule.
type scheduleSource struct {
	sourceBase
	spec     stack.ScheduleSource
	handler  app.ScheduleHandler
	period   time.Duration
	override bool
	firing   atomic.Bool
}

func newScheduleSource(b sourceBase, spec stack.ScheduleSource, h app.ScheduleHandler, override time.Duration) (*scheduleSource, error) {
	s := &scheduleSource{sourceBase: b, spec: spec, handler: h, period: override, override: override > 0}
	if s.override {
		return s, nil
	}
	period, err := schedulePeriod(spec.Expression)
	if err != nil {
		return nil, fmt.Errorf("function %s event %s: %w", b.fn.LogicalID, b.event, err)
	}
	s.period = period
	return s, nil
}

// schedulePeriod parses rate(N unit); cron(...) maps to cronFallback.
func schedulePeriod(expr string) (time.Duration, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") {
		return cronFallback, nil
	}
	inner, ok := strings.CutPrefix(expr, "rate(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return 0, fmt.Errorf("schedule %q: want rate(N unit) or cron(...)", expr)
	}
	fields := strings.Fields(strings.TrimSuffix(inner, ")"))
	if len(fields) != 2 {
		return 0, fmt.Errorf("schedule %q: want rate(N unit)", expr)
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("schedule %q: %q is not a positive integer", expr, fields[0])
	}
	units := map[string]time.Duration{
		"minute": time.Minute, "minutes": time.Minute,
		"hour": time.Hour, "hours": time.Hour,
		"day": 24 * time.Hour, "days": 24 * time.Hour,
	}
	unit, ok := units[fields[1]]
	if !ok {
		return 0, fmt.Errorf("schedule %q: unknown unit %q", expr, fields[1])
	}
	return time.Duration(n) * unit, nil
}

func (s *scheduleSource) describe() string {
	how := s.spec.Expression
	switch {
	case s.override:
		how += fmt.Sprintf(", every %s (override)", s.period)
	case strings.HasPrefix(s.spec.Expression, "cron("):
		how += fmt.Sprintf(", approximated as every %s", s.period)
	}
	return fmt.Sprintf("%s.%s: Schedule %s", s.fn.LogicalID, s.event, how)
}

func (s *scheduleSource) prepare(context.Context) error { return nil }

// quietSince is true unless the schedule is firing: a schedule has no
// backlog to drain, only its current invocation.
func (s *scheduleSource) quietSince(time.Time) bool { return !s.firing.Load() }

func (s *scheduleSource) run(ctx context.Context) error {
	tick := time.NewTicker(s.period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			s.fire(ctx, now)
		}
	}
}

// fire invokes the handler once; failures are logged and the schedule goes
// on, as EventBridge's would.
func (s *scheduleSource) fire(ctx context.Context, now time.Time) {
	st := s.rt.cfg.Stack
	event := events.EventBridgeEvent{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  st.AccountID(),
		Time:       now.UTC().Truncate(time.Second),
		Region:     s.region(),
		Resources:  []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/%s-%s%s", s.region(), st.AccountID(), st.Name, s.fn.LogicalID, s.event)},
		Detail:     json.RawMessage(`{}`),
	}
	log := s.logger()
	log.Debug("invoking schedule", "event_id", event.ID)
	s.firing.Store(true)
	defer s.firing.Store(false)
	_, err := invoke(ctx, s.sourceBase, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.handler(ctx, event)
	})
	if err != nil && ctx.Err() == nil {
		log.Error("scheduled invocation failed", "event_id", event.ID, "err", err)
	}
}
