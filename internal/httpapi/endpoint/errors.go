package endpoint

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mercato-dev/mercato/internal/fault"
)

// status and default codes of each fault kind: the one mapping from domain
// errors to HTTP. The Connect face shows Code, the Partner Center face
// PartnerCode; a domain error may carry more specific codes of its own.
var kinds = map[fault.Kind]struct {
	status      int
	code        string
	partnerCode int
}{
	fault.Malformed:        {http.StatusBadRequest, "REQ_001", 800002},
	fault.Invalid:          {http.StatusBadRequest, "VAL_001", 800002},
	fault.Transition:       {http.StatusBadRequest, "REQ_003", 800002},
	fault.Unauthorized:     {http.StatusUnauthorized, "AUTH_001", 800401},
	fault.Forbidden:        {http.StatusForbidden, "AUTH_002", 800403},
	fault.NotFound:         {http.StatusNotFound, "OBJ_001", 800404},
	fault.MethodNotAllowed: {http.StatusMethodNotAllowed, "REQ_005", 800405},
	fault.Conflict:         {http.StatusConflict, "OBJ_002", 800409},
	fault.TooLarge:         {http.StatusRequestEntityTooLarge, "REQ_002", 800413},
	fault.Unsupported:      {http.StatusUnsupportedMediaType, "REQ_004", 800415},
	fault.Throttled:        {http.StatusTooManyRequests, "SYS_002", 800429},
	fault.Unavailable:      {http.StatusServiceUnavailable, "SYS_003", 800503},
	fault.Internal:         {http.StatusInternalServerError, "SYS_001", 800000},
}

// connectError is the /public/v1 error body.
type connectError struct {
	ErrorCode string   `json:"error_code"`
	Errors    []string `json:"errors"`
}

// partnerError is the /v1 error body.
type partnerError struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Data        []string `json:"data"`
	Source      string   `json:"source"`
}

// isPartnerFace reports whether path belongs to the Partner Center-style API.
func isPartnerFace(path string) bool { return strings.HasPrefix(path, "/v1/") || path == "/v1" }

// writeError answers err in the error shape of the path's API face. An
// error that is not a *fault.Error is a bug or an outage: it is logged in
// full and shown as a generic sentence.
func (s *Server) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	fe, ok := fault.As(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			// The client went away; nobody reads this answer.
			fe = &fault.Error{Kind: fault.Malformed, Messages: []string{"request canceled"}}
		} else {
			s.log.ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
			fe = &fault.Error{Kind: fault.Internal, Messages: []string{"internal error; quote the X-Request-Id header when reporting it"}}
		}
	}
	if fe.Kind == fault.Unavailable {
		// The storage layer met throttling or an outage past the SDK's own
		// retries. Nothing was half-written (every change is one
		// transaction), so the caller may send the same request again.
		s.log.WarnContext(ctx, "dependency unavailable", slog.String("error", err.Error()))
		w.Header().Set("Retry-After", "1")
		if len(fe.Messages) == 0 {
			fe = &fault.Error{Kind: fault.Unavailable, Messages: []string{"the service is briefly unavailable; send the same request again (with the same idempotency key) after Retry-After seconds"}}
		}
	}
	k := kinds[fe.Kind]
	if k.status == 0 {
		k = kinds[fault.Internal]
	}
	if fe.Kind == fault.Unauthorized {
		w.Header().Set("WWW-Authenticate", `ApiKey realm="mercato", Bearer realm="mercato"`)
	}
	msgs := fe.Messages
	if len(msgs) == 0 {
		msgs = []string{http.StatusText(k.status)}
	}
	if isPartnerFace(r.URL.Path) {
		code := fe.PartnerCode
		if code == 0 {
			code = k.partnerCode
		}
		WriteJSON(w, k.status, partnerError{Code: code, Description: msgs[0], Data: msgs[1:], Source: "mercato"})
		return
	}
	code := fe.Code
	if code == "" {
		code = k.code
	}
	WriteJSON(w, k.status, connectError{ErrorCode: code, Errors: msgs})
}

// WriteJSON writes v with status. Encoding errors cannot be reported to the
// client once the header is out, and the types written are all encodable.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
