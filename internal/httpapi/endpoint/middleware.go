package endpoint

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/logging"
)

type principalKey struct{}

// Principal returns the authenticated caller. Routes that are not public
// always have one.
func Principal(r *http.Request) account.Principal {
	p, _ := r.Context().Value(principalKey{}).(account.Principal)
	return p
}

// requestID prefers API Gateway's id, so that the access logs of the gateway
// and of the function can be joined.
func requestID(r *http.Request) string {
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	return "req-" + ident.Secret(12)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// observe gives every request an id and a logging scope, writes one access
// log line, and turns a panic into a logged 500 in the API's error shape.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, _ := logging.WithScope(r.Context(), requestID(r))
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", logging.ScopeFrom(ctx).RequestID())
		if c := r.Header.Get("MS-CorrelationId"); c != "" {
			sw.Header().Set("MS-CorrelationId", c)
		}
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(ctx, "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					s.writeError(ctx, sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
				slog.Int64("duration_ms", time.Since(start).Milliseconds()))
		}()
		next.ServeHTTP(sw, r)
	})
}

// handler wraps one route: authentication, the account-type check, the body
// limit, and the mapping of the handler's error.
func (s *Server) handler(rt Route) http.Handler {
	limit := rt.MaxBody
	if limit == 0 {
		limit = s.cfg.MaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.ContentLength > limit {
			s.writeError(ctx, w, r, fault.TooLargef("request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		r, err := s.authorize(ctx, r, rt.Access)
		if err == nil {
			err = rt.Handle(w, r)
		}
		if err != nil {
			s.writeError(r.Context(), w, r, err)
		}
	})
}

func (s *Server) authorize(ctx context.Context, r *http.Request, a Access) (*http.Request, error) {
	if a == Public {
		return r, nil
	}
	p, r, err := s.authenticate(ctx, r)
	if err != nil {
		return r, err
	}
	logging.ScopeFrom(ctx).SetAccount(p.AccountID)
	r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	switch {
	case a == AdminOnly && !p.Is(account.Admin):
		return r, fault.Forbiddenf("this endpoint is for admin accounts; the token belongs to a %s account", p.AccountType)
	case a == VendorOnly && !p.Is(account.Vendor):
		return r, fault.Forbiddenf("this endpoint is for vendor accounts; the token belongs to a %s account", p.AccountType)
	case a == ProviderOnly && !p.Is(account.Provider):
		return r, fault.Forbiddenf("this endpoint is for provider accounts; the token belongs to a %s account", p.AccountType)
	}
	return r, nil
}
