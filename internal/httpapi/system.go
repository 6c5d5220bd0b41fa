package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/smithy-go"
)

//go:embed openapi.yaml
var openAPISpec []byte

// OpenAPISpec returns the API description served at /openapi.yaml.
func OpenAPISpec() []byte { return openAPISpec }

func (s *Server) systemRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/healthz", Access: public, Handle: s.health},
		{Method: http.MethodGet, Path: "/openapi.yaml", Access: public, Handle: s.openAPI},
	}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(openAPISpec)
	return err
}

// brief names why a check failed without the detail (resource names,
// endpoints, request ids) of the full error, which goes to the log only:
// /healthz answers without a token.
func brief(err error) string {
	var api smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &api):
		return api.ErrorCode()
	default:
		return "no answer"
	}
}

type checkResult struct {
	Status    string `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

type healthBody struct {
	Status       string                 `json:"status"`
	Dependencies map[string]checkResult `json:"dependencies"`
}

// health probes every dependency in parallel, each within 2 s, and answers
// 503 when any is unreachable so that a load balancer or a script can tell.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := healthBody{Status: "ok", Dependencies: map[string]checkResult{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range s.cfg.Checks {
		wg.Go(func() {
			start := time.Now()
			err := c.Ping(ctx)
			res := checkResult{Status: "ok", LatencyMS: time.Since(start).Milliseconds()}
			if err != nil {
				res.Status, res.Error = "unreachable", brief(err)
				s.log.WarnContext(ctx, "health check failed", slog.String("dependency", c.Name), slog.String("error", err.Error()))
			}
			mu.Lock()
			defer mu.Unlock()
			body.Dependencies[c.Name] = res
			if err != nil {
				body.Status = "degraded"
			}
		})
	}
	wg.Wait()
	status := http.StatusOK
	if body.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	endpoint.WriteJSON(w, status, body)
	return nil
}
