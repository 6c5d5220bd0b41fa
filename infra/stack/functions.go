package stack

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// Event source types of AWS::Serverless::Function Events.
const (
	EventSQS      = "SQS"
	EventDynamoDB = "DynamoDB"
	EventSchedule = "Schedule"
	EventHttpApi  = "HttpApi"
)

// ReportBatchItemFailures is the FunctionResponseTypes value that makes
// Lambda honour a handler's BatchItemFailures.
const ReportBatchItemFailures = "ReportBatchItemFailures"

// Function is an AWS::Serverless::Function as the local runtime needs it.
type Function struct {
	LogicalID string
	// Timeout in seconds: the function's, else Globals', else 3.
	Timeout int
	// Environment is Globals' variables overlaid with the function's own,
	// unresolved; Stack.FunctionEnv resolves them.
	Environment map[string]any
	// Events are sorted by name.
	Events []EventSource
}

// EventSource is one entry of a function's Events. Exactly one of SQS,
// DynamoDB and Schedule is set for those types; other types (HttpApi,
// Api, S3, ...) keep only Name, Type and Properties.
type EventSource struct {
	Name       string
	Type       string
	Properties map[string]any

	SQS      *SQSSource
	DynamoDB *StreamSource
	Schedule *ScheduleSource
}

// SQSSource is an SQS event source.
type SQSSource struct {
	QueueLogicalID                 string
	BatchSize                      int // default 10
	MaximumBatchingWindowInSeconds int
	FunctionResponseTypes          []string
}

// ReportsBatchItemFailures says whether the handler's BatchItemFailures count.
func (s SQSSource) ReportsBatchItemFailures() bool {
	return slices.Contains(s.FunctionResponseTypes, ReportBatchItemFailures)
}

// StreamSource is a DynamoDB stream event source.
type StreamSource struct {
	TableLogicalID             string
	StartingPosition           string // TRIM_HORIZON or LATEST
	BatchSize                  int    // default 100
	MaximumRetryAttempts       int    // -1 means retry until the record expires
	BisectBatchOnFunctionError bool
	FunctionResponseTypes      []string
	// OnFailureQueueLogicalID is the SQS queue of
	// DestinationConfig.OnFailure.Destination; empty when there is none.
	OnFailureQueueLogicalID string
}

// ReportsBatchItemFailures says whether the handler's BatchItemFailures count.
func (s StreamSource) ReportsBatchItemFailures() bool {
	return slices.Contains(s.FunctionResponseTypes, ReportBatchItemFailures)
}

// ScheduleSource is a Schedule (EventBridge rule) event source.
type ScheduleSource struct {
	Expression string // rate(...) or cron(...)
	Enabled    bool
}

// Functions returns the template's AWS::Serverless::Function resources,
// sorted by logical id.
func (t *Template) Functions() []Function {
	return append([]Function(nil), t.functions...)
}

// Function returns the function with the given logical id.
func (t *Template) Function(logicalID string) (Function, bool) {
	for _, f := range t.functions {
		if f.LogicalID == logicalID {
			return f, true
		}
	}
	return Function{}, false
}

func (t *Template) parseFunctions() ([]Function, error) {
	var fns []Function
	for _, id := range t.LogicalIDs(TypeFunction) {
		fn, err := t.parseFunction(t.Resources[id])
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", id, err)
		}
		fns = append(fns, fn)
	}
	return fns, nil
}

func (t *Template) parseFunction(r Resource) (Function, error) {
	def := t.Globals.Function.Timeout
	if def == 0 {
		def = defaultTimeout
	}
	timeout, err := optionalInt(r.Properties, "Timeout", def)
	if err != nil {
		return Function{}, err
	}
	env := maps.Clone(t.Globals.Function.Environment)
	if env == nil {
		env = map[string]any{}
	}
	maps.Copy(env, asMap(asMap(r.Properties["Environment"])["Variables"]))

	fn := Function{LogicalID: r.LogicalID, Timeout: timeout, Environment: env}
	events := asMap(r.Properties["Events"])
	names := make([]string, 0, len(events))
	for name := range events {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ev, err := parseEvent(name, asMap(events[name]))
		if err != nil {
			return Function{}, fmt.Errorf("event %s: %w", name, err)
		}
		if err := t.checkEventTargets(ev); err != nil {
			return Function{}, fmt.Errorf("event %s: %w", name, err)
		}
		fn.Events = append(fn.Events, ev)
	}
	return fn, nil
}

// checkEventTargets makes sure the resources an event source points at are
// declared, with the right type, in this template.
func (t *Template) checkEventTargets(ev EventSource) error {
	want := map[string]string{}
	switch {
	case ev.SQS != nil:
		want[ev.SQS.QueueLogicalID] = TypeQueue
	case ev.DynamoDB != nil:
		want[ev.DynamoDB.TableLogicalID] = TypeTable
		if q := ev.DynamoDB.OnFailureQueueLogicalID; q != "" {
			want[q] = TypeQueue
		}
	}
	for id, typ := range want {
		r, ok := t.Resources[id]
		if !ok {
			return fmt.Errorf("resource %s is not declared in the template", id)
		}
		if r.Type != typ {
			return fmt.Errorf("resource %s is a %s, want %s", id, r.Type, typ)
		}
	}
	return nil
}

func parseEvent(name string, m map[string]any) (EventSource, error) {
	ev := EventSource{Name: name, Type: asString(m["Type"]), Properties: asMap(m["Properties"])}
	var err error
	switch ev.Type {
	case EventSQS:
		ev.SQS, err = parseSQSEvent(ev.Properties)
	case EventDynamoDB:
		ev.DynamoDB, err = parseStreamEvent(ev.Properties)
	case EventSchedule:
		ev.Schedule, err = parseScheduleEvent(ev.Properties)
	case "":
		err = fmt.Errorf("no Type")
	}
	return ev, err
}

func parseSQSEvent(p map[string]any) (*SQSSource, error) {
	queue, err := getAttTarget(p["Queue"], "Arn")
	if err != nil {
		return nil, fmt.Errorf("property Queue: %w", err)
	}
	s := &SQSSource{QueueLogicalID: queue}
	if s.BatchSize, err = optionalInt(p, "BatchSize", 10); err != nil {
		return nil, err
	}
	if s.MaximumBatchingWindowInSeconds, err = optionalInt(p, "MaximumBatchingWindowInSeconds", 0); err != nil {
		return nil, err
	}
	if s.FunctionResponseTypes, err = stringList(p["FunctionResponseTypes"]); err != nil {
		return nil, fmt.Errorf("FunctionResponseTypes: %w", err)
	}
	return s, nil
}

func parseStreamEvent(p map[string]any) (*StreamSource, error) {
	table, err := getAttTarget(p["Stream"], "StreamArn")
	if err != nil {
		return nil, fmt.Errorf("property Stream: %w", err)
	}
	s := &StreamSource{TableLogicalID: table, StartingPosition: asString(p["StartingPosition"])}
	if s.StartingPosition == "" {
		s.StartingPosition = "TRIM_HORIZON"
	}
	if s.BatchSize, err = optionalInt(p, "BatchSize", 100); err != nil {
		return nil, err
	}
	if s.MaximumRetryAttempts, err = optionalInt(p, "MaximumRetryAttempts", -1); err != nil {
		return nil, err
	}
	if s.BisectBatchOnFunctionError, err = optionalBool(p, "BisectBatchOnFunctionError", false); err != nil {
		return nil, err
	}
	if s.FunctionResponseTypes, err = stringList(p["FunctionResponseTypes"]); err != nil {
		return nil, fmt.Errorf("FunctionResponseTypes: %w", err)
	}
	if dest, ok := asMap(asMap(p["DestinationConfig"])["OnFailure"])["Destination"]; ok {
		if s.OnFailureQueueLogicalID, err = getAttTarget(dest, "Arn"); err != nil {
			return nil, fmt.Errorf("DestinationConfig.OnFailure.Destination: %w", err)
		}
	}
	return s, nil
}

func parseScheduleEvent(p map[string]any) (*ScheduleSource, error) {
	expr, ok := p["Schedule"].(string)
	if !ok || expr == "" {
		return nil, fmt.Errorf("property Schedule: want a rate(...) or cron(...) string")
	}
	enabled, err := optionalBool(p, "Enabled", true)
	if err != nil {
		return nil, err
	}
	// Newer SAM spells it State: ENABLED|DISABLED.
	if state := asString(p["State"]); state == "DISABLED" {
		enabled = false
	}
	return &ScheduleSource{Expression: expr, Enabled: enabled}, nil
}

// getAttTarget returns X of {"Fn::GetAtt": [X, attr]}: the local runtime can
// only drive event sources that are resources of the same template.
func getAttTarget(v any, attr string) (string, error) {
	args, ok := asMap(v)["Fn::GetAtt"].([]any)
	if !ok || len(args) != 2 {
		return "", fmt.Errorf("want !GetAtt <Resource>.%s of a resource in this template, got %v", attr, v)
	}
	res, _ := args[0].(string)
	got, _ := args[1].(string)
	if res == "" || got != attr {
		return "", fmt.Errorf("want !GetAtt <Resource>.%s, got %v", attr, v)
	}
	return res, nil
}
