package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
)

// TestAPI_TokenUpdate renames a token and changes its notes as Connect's
// PUT does: a round trip of what GET answered is accepted, a typo and an
// over-long name are refused with nothing written, another account's token
// is 404, and the change commits with its token.updated event.
func TestAPI_TokenUpdate(t *testing.T) {
	f := newFixture(t)
	v := f.vendor.Token.Value
	var tok account.NewToken
	f.do(http.MethodPost, "/public/v1/auth/tokens", v, map[string]string{"name": "ci"}, http.StatusCreated, &tok)
	path := "/public/v1/auth/tokens/" + tok.ID

	var read map[string]any
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &read)
	read["name"], read["description"], read["external_id"] = "deploys", "the release pipeline", "PIPE-7"
	f.counter.Reset()
	var got map[string]any
	f.do(http.MethodPut, path, v, read, http.StatusOK, &got)
	if got["name"] != "deploys" || got["description"] != "the release pipeline" || got["external_id"] != "PIPE-7" || got["id"] != tok.ID {
		t.Errorf("updated token = %v", got)
	}
	// Read the token, write it with its event (the caller's token is
	// cached since the GET).
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "TransactWriteItems": 1}, f.counter.Calls()); diff != "" {
		t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
	}
	if !containsEvent(accountEvents(t, f, f.vendor.ID), "token.updated", tok.ID) {
		t.Error("no token.updated event")
	}
	// The token still works: its value did not change.
	f.do(http.MethodGet, "/public/v1/auth/context", tok.Value, nil, http.StatusOK, nil)

	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"nmae": "x"}), http.StatusBadRequest, "VAL_001", "nmae")
	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"name": " ", "description": strings.Repeat("d", 256)}),
		http.StatusBadRequest, "VAL_001", "name is required", "description must be at most 255")
	connectError(t, f.call(http.MethodPut, path, v, "{"), http.StatusBadRequest, "REQ_001")
	connectError(t, f.call(http.MethodPut, path, f.provider.Token.Value, map[string]any{"name": "mine"}), http.StatusNotFound, "OBJ_001", tok.ID)
	f.do(http.MethodGet, path, v, nil, http.StatusOK, &got)
	if got["name"] != "deploys" || got["description"] != "the release pipeline" {
		t.Errorf("a refused update changed the token: %v", got)
	}
	f.do(http.MethodDelete, path, v, nil, http.StatusNoContent, nil)
	connectError(t, f.call(http.MethodPut, path, v, map[string]any{"name": "gone"}), http.StatusNotFound, "OBJ_001")
}
