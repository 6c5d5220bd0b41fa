package localrun

import "github.com/mercato-dev/mercato/internal/app"

// FromApp takes the handlers the app builds for the template's functions:
// the same functions the Lambdas run.
func FromApp(hs app.Handlers) Handlers {
	h := Handlers{SQS: map[string]SQSHandler{}, Stream: map[string]StreamHandler{}, Schedule: map[string]ScheduleHandler{}}
	for k, v := range hs.SQS {
		h.SQS[k] = SQSHandler(v)
	}
	for k, v := range hs.Stream {
		h.Stream[k] = StreamHandler(v)
	}
	for k, v := range hs.Schedule {
		h.Schedule[k] = ScheduleHandler(v)
	}
	return h
}
