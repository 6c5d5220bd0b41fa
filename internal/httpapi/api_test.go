package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// fixture is an API on a fresh stack with an admin, a vendor and a provider.
type fixture struct {
	t testing.TB
	// env is the stack the app runs on, for instance to start another.
	env      *stacktest.Env
	app      *app.App
	api      http.Handler
	counter  *dynamo.Counter
	admin    account.Created
	vendor   account.Created
	provider account.Created
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := stacktest.Shared(t)
	counter := dynamo.NewCounter()
	a := env.App(t, app.Options{DynamoOptions: []func(*dynamodbOptions){counter.Option}})
	f := &fixture{t: t, env: env, app: a, api: a.API(), counter: counter}
	ctx := context.Background()
	var err error
	if f.admin, err = a.Accounts.Ensure(ctx, "test-admin", account.CreateAccountInput{Type: account.Admin, Name: "Test admin"}); err != nil {
		t.Fatal(err)
	}
	f.vendor = f.createAccount(account.Vendor, "Front Street Inc.")
	f.provider = f.createAccount(account.Provider, "Apollo Hub")
	return f
}

func (f *fixture) createAccount(typ account.Type, name string) account.Created {
	f.t.Helper()
	var c account.Created
	f.do(http.MethodPost, "/public/v1/accounts", f.admin.Token.Value, map[string]any{"type": typ, "name": name}, http.StatusCreated, &c)
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON).
func (f *fixture) call(method, path, token string, body any, hdr ...string) response {
	f.t.Helper()
	rec := stacktest.Call(f.t, f.api, method, path, stacktest.APIKey(token), body, hdr...)
	if rec.Header().Get("X-Request-Id") == "" {
		f.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// do sends a request, checks the status and decodes the body into out.
func (f *fixture) do(method, path, token string, body any, want int, out any) response {
	f.t.Helper()
	res := f.call(method, path, token, body)
	if res.status != want {
		f.t.Fatalf("%s %s = %d, want %d: %s", method, path, res.status, want, res.body)
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			f.t.Fatalf("%s %s: decode %s: %v", method, path, res.body, err)
		}
	}
	return res
}

type connectErr struct {
	ErrorCode string   `json:"error_code"`
	Errors    []string `json:"errors"`
}

type partnerErr struct {
	Code        int      `json:"code"`
	Description string   `json:"description"`
	Data        []string `json:"data"`
	Source      string   `json:"source"`
}

// connectError asserts a Connect-shaped error with code whose sentences
// contain each of the fragments.
func connectError(t *testing.T, res response, status int, code string, fragments ...string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d: %s", res.status, status, res.body)
	}
	var e connectErr
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.ErrorCode == "" || len(e.Errors) == 0 {
		t.Fatalf("not a Connect error body (%v): %s", err, res.body)
	}
	if e.ErrorCode != code {
		t.Errorf("error_code = %s, want %s (%v)", e.ErrorCode, code, e.Errors)
	}
	all := strings.Join(e.Errors, " | ")
	for _, frag := range fragments {
		if !strings.Contains(all, frag) {
			t.Errorf("errors %q do not mention %q", all, frag)
		}
	}
}

func TestAPI_Health(t *testing.T) {
	f := newFixture(t)
	var body struct {
		Status       string `json:"status"`
		Dependencies map[string]struct {
			Status string `json:"status"`
		} `json:"dependencies"`
	}
	f.do(http.MethodGet, "/healthz", "", nil, http.StatusOK, &body)
	// The table is the API's one dependency: the usage bucket is
	// FilesFunction's, which the API does not reach.
	if body.Status != "ok" || len(body.Dependencies) != 1 || body.Dependencies["dynamodb"].Status != "ok" {
		t.Errorf("health = %+v", body)
	}
}

// TestAPI_HealthUnreachable points the API at a table that does not exist:
// /healthz answers 503 and names dynamodb unreachable.
func TestAPI_HealthUnreachable(t *testing.T) {
	env := stacktest.Shared(t)
	cfg := env.Config
	cfg.TableName = "mercato-no-such-table"
	var logs bytes.Buffer // slog serialises the checks' writes
	api := app.New(cfg, env.AWS, logging.New(&logs, slog.LevelInfo), app.Options{}).API()
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503: %s", rec.Code, rec.Body)
	}
	var body struct {
		Status       string `json:"status"`
		Dependencies map[string]struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	got := []string{body.Status, body.Dependencies["dynamodb"].Status}
	if diff := cmp.Diff([]string{"degraded", "unreachable"}, got); diff != "" {
		t.Errorf("health (-want +got):\n%s\n%s", diff, rec.Body)
	}
	// The answer needs no token, so it says why in a word; the log has the rest.
	if e := body.Dependencies["dynamodb"].Error; e != "ResourceNotFoundException" {
		t.Errorf("dynamodb error = %q, want ResourceNotFoundException", e)
	}
	if strings.Contains(rec.Body.String(), "mercato-no-such-table") {
		t.Errorf("the public answer names the table: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), `"dependency":"dynamodb"`) {
		t.Errorf("the log does not say which check failed and why:\n%s", logs.String())
	}
}

// TestAPI_AccessLogNamesRequestID captures the API's log and checks that the
// access line of each request carries the id its X-Request-Id header gave,
// and the account once authenticated.
func TestAPI_AccessLogNamesRequestID(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	api := app.New(f.app.Config, stacktest.Shared(t).AWS, logging.New(&buf, slog.LevelInfo), app.Options{}).API()
	tests := []struct {
		name, path, token, account string
	}{
		{"authenticated", "/public/v1/auth/context", f.vendor.Token.Value, f.vendor.ID},
		{"refused", "/public/v1/auth/context", "", ""},
		{"public", "/openapi.yaml", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "ApiKey "+tt.token)
			}
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			id := rec.Header().Get("X-Request-Id")
			if id == "" {
				t.Fatal("no X-Request-Id")
			}
			var access map[string]any
			for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
				var line map[string]any
				if err := json.Unmarshal(raw, &line); err != nil {
					t.Fatalf("log line is not JSON: %s", raw)
				}
				if line["request_id"] != id {
					t.Errorf("request_id = %v, want %s: %s", line["request_id"], id, raw)
				}
				if line["msg"] == "request" {
					access = line
				}
			}
			if access == nil {
				t.Fatalf("no access line in %s", buf.Bytes())
			}
			if got, _ := access["account_id"].(string); got != tt.account {
				t.Errorf("account_id = %q, want %q", got, tt.account)
			}
		})
	}
}

func TestAPI_AuthContext(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"apikey", "ApiKey " + f.vendor.Token.Value, http.StatusOK},
		{"bearer", "Bearer " + f.vendor.Token.Value, http.StatusOK},
		{"scheme in any case", "apikey " + f.vendor.Token.Value, http.StatusOK},
		{"missing", "", http.StatusUnauthorized},
		{"unknown scheme", "Basic " + f.vendor.Token.Value, http.StatusUnauthorized},
		{"no value", "ApiKey ", http.StatusUnauthorized},
		{"wrong secret", "ApiKey " + f.vendor.Token.ID + ":not-the-secret", http.StatusUnauthorized},
		{"token id alone", "ApiKey " + f.vendor.Token.ID, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/public/v1/auth/context", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			f.api.ServeHTTP(rec, req)
			res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			if tt.want != http.StatusOK {
				connectError(t, res, tt.want, "AUTH_001")
				if res.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			var got map[string]map[string]string
			if err := json.Unmarshal(res.body, &got); err != nil || res.status != http.StatusOK {
				t.Fatalf("%d %s", res.status, res.body)
			}
			want := map[string]map[string]string{
				"account": {"id": f.vendor.ID, "type": "vendor", "name": "Front Street Inc."},
				"token":   {"id": f.vendor.Token.ID},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("context (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPI_UnauthorizedPartnerFace(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "SU-000-000-000:nope"} {
		res := f.call(http.MethodGet, "/v1/customers", tok, nil)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("status = %d: %s", res.status, res.body)
		}
		var e partnerErr
		if err := json.Unmarshal(res.body, &e); err != nil || e.Code != 800401 || e.Source != "mercato" || e.Description == "" {
			t.Errorf("not a Partner Center error: %s", res.body)
		}
	}
}

func TestAPI_Tokens(t *testing.T) {
	f := newFixture(t)
	var tok account.NewToken
	f.do(http.MethodPost, "/public/v1/auth/tokens", f.vendor.Token.Value, map[string]string{"name": "ci"}, http.StatusCreated, &tok)
	if !strings.HasPrefix(tok.Value, tok.ID+":") || tok.Name != "ci" || tok.AccountID != f.vendor.ID {
		t.Fatalf("new token = %+v", tok)
	}
	// The new token works, and the list never shows a value.
	f.do(http.MethodGet, "/public/v1/auth/context", tok.Value, nil, http.StatusOK, nil)
	res := f.do(http.MethodGet, "/public/v1/auth/tokens", f.vendor.Token.Value, nil, http.StatusOK, nil)
	if bytes.Contains(res.body, []byte(strings.SplitN(tok.Value, ":", 2)[1])) {
		t.Fatal("token list shows a secret")
	}
	var list []account.Token
	if err := json.Unmarshal(res.body, &list); err != nil || len(list) != 2 {
		t.Fatalf("list = %s", res.body)
	}
	if got := res.header.Get("Content-Range"); got != "items 0-1/2" {
		t.Errorf("Content-Range = %q", got)
	}
	// Paging.
	res = f.do(http.MethodGet, "/public/v1/auth/tokens?limit=1&offset=1", f.vendor.Token.Value, nil, http.StatusOK, &list)
	if len(list) != 1 || res.header.Get("Content-Range") != "items 1-1/2" {
		t.Errorf("page = %d items, %q", len(list), res.header.Get("Content-Range"))
	}
	// Another account cannot delete it: 404, not 403.
	connectError(t, f.call(http.MethodDelete, "/public/v1/auth/tokens/"+tok.ID, f.provider.Token.Value, nil), http.StatusNotFound, "OBJ_001", tok.ID)
	// The owner can; then it no longer authenticates, and a second delete is 404.
	f.do(http.MethodDelete, "/public/v1/auth/tokens/"+tok.ID, f.vendor.Token.Value, nil, http.StatusNoContent, nil)
	connectError(t, f.call(http.MethodGet, "/public/v1/auth/context", tok.Value, nil), http.StatusUnauthorized, "AUTH_001")
	connectError(t, f.call(http.MethodDelete, "/public/v1/auth/tokens/"+tok.ID, f.vendor.Token.Value, nil), http.StatusNotFound, "OBJ_001")
}

func TestAPI_TokenCreateWritesEventInSameTransaction(t *testing.T) {
	f := newFixture(t)
	f.counter.Reset()
	var tok account.NewToken
	f.do(http.MethodPost, "/public/v1/auth/tokens", f.provider.Token.Value, map[string]string{"name": "hub"}, http.StatusCreated, &tok)
	// One GetItem to authenticate, one TransactWriteItems for the token, its
	// hash and its event: nothing else.
	if diff := cmp.Diff(map[string]int{"GetItem": 1, "TransactWriteItems": 1}, f.counter.Calls()); diff != "" {
		t.Errorf("DynamoDB calls (-want +got):\n%s", diff)
	}
	evs := accountEvents(t, f, f.provider.ID)
	if !containsEvent(evs, "token.created", tok.ID) {
		t.Errorf("no token.created event for %s in %v", tok.ID, evs)
	}
}

// TestAPI_TokenStoredAsHashOnly creates a token through the API and reads
// the raw items it wrote: the listed token, the authentication item and the
// token.created event. The secret is in none of them, only its hash.
func TestAPI_TokenStoredAsHashOnly(t *testing.T) {
	f := newFixture(t)
	var tok account.NewToken
	f.do(http.MethodPost, "/public/v1/auth/tokens", f.vendor.Token.Value, map[string]string{"name": "ci"}, http.StatusCreated, &tok)
	_, secret, ok := strings.Cut(tok.Value, ":")
	if !ok || len(secret) < 32 {
		t.Fatalf("token value %q has no secret", tok.Value)
	}
	var eventID string
	for _, it := range accountEvents(t, f, f.vendor.ID) {
		if ev, err := it.Event(); err == nil && ev.Type == "token.created" && containsID(string(ev.Data), tok.ID) {
			eventID = ev.ID
		}
	}
	if eventID == "" {
		t.Fatalf("no token.created event for %s", tok.ID)
	}
	keys := map[string]dynamo.Key{
		"listed token":        {PK: "ACCOUNT#" + f.vendor.ID, SK: "TOKEN#" + tok.ID},
		"authentication item": {PK: "TOKEN#" + account.HashToken(tok.Value), SK: "TOKEN"},
		"token.created event": dynamo.EventKey(eventID),
	}
	for name, key := range keys {
		text, ok := f.storedText(t, key)
		if !ok {
			t.Errorf("%s %v: no item", name, key)
			continue
		}
		if strings.Contains(text, secret) {
			t.Errorf("%s holds the token's secret: %s", name, text)
		}
	}
}

// storedText is itemText of the item at key, read consistently, and
// whether there is one.
func (f *fixture) storedText(t *testing.T, key dynamo.Key) (string, bool) {
	t.Helper()
	out, err := f.app.Table.Client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.app.Table.Name), Key: key.AV(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem %v: %v", key, err)
	}
	return itemText(out.Item), len(out.Item) > 0
}

// itemText renders every name and value of a raw item, binary ones as text,
// so that a search of it finds a stored string whatever its type.
func itemText(item map[string]ddbtypes.AttributeValue) string {
	var b strings.Builder
	var walk func(v ddbtypes.AttributeValue)
	walk = func(v ddbtypes.AttributeValue) {
		switch x := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			b.WriteString(x.Value)
		case *ddbtypes.AttributeValueMemberN:
			b.WriteString(x.Value)
		case *ddbtypes.AttributeValueMemberB:
			b.Write(x.Value)
		case *ddbtypes.AttributeValueMemberSS:
			b.WriteString(strings.Join(x.Value, " "))
		case *ddbtypes.AttributeValueMemberBS:
			b.Write(bytes.Join(x.Value, []byte(" ")))
		case *ddbtypes.AttributeValueMemberL:
			for _, e := range x.Value {
				walk(e)
			}
		case *ddbtypes.AttributeValueMemberM:
			for k, e := range x.Value {
				b.WriteString(k + "=")
				walk(e)
			}
		}
		b.WriteString(" ")
	}
	walk(&ddbtypes.AttributeValueMemberM{Value: item})
	return b.String()
}

func TestAPI_Accounts(t *testing.T) {
	f := newFixture(t)
	// Admin-only endpoints refuse other account types with 403.
	connectError(t, f.call(http.MethodPost, "/public/v1/accounts", f.vendor.Token.Value, map[string]any{"type": "vendor", "name": "x"}), http.StatusForbidden, "AUTH_002", "admin")
	// Anyone else lists their own account, as on Connect.
	var own []account.Account
	f.do(http.MethodGet, "/public/v1/accounts", f.provider.Token.Value, nil, http.StatusOK, &own)
	if len(own) != 1 || own[0].ID != f.provider.ID {
		t.Errorf("a provider's accounts = %+v", own)
	}
	// Each account reads itself; another account's id is 404.
	var got account.Account
	f.do(http.MethodGet, "/public/v1/accounts/"+f.vendor.ID, f.vendor.Token.Value, nil, http.StatusOK, &got)
	if got.ID != f.vendor.ID || got.Type != account.Vendor {
		t.Errorf("account = %+v", got)
	}
	connectError(t, f.call(http.MethodGet, "/public/v1/accounts/"+f.vendor.ID, f.provider.Token.Value, nil), http.StatusNotFound, "OBJ_001")
	connectError(t, f.call(http.MethodGet, "/public/v1/accounts/VA-000-000", f.admin.Token.Value, nil), http.StatusNotFound, "OBJ_001")
	// The admin lists them by type.
	var vendors []account.Account
	f.do(http.MethodGet, "/public/v1/accounts?type=vendor&limit=1000", f.admin.Token.Value, nil, http.StatusOK, &vendors)
	found := false
	for _, v := range vendors {
		found = found || v.ID == f.vendor.ID
		if v.Type != account.Vendor {
			t.Errorf("type filter let %s through", v.ID)
		}
	}
	if !found {
		t.Errorf("vendor %s not listed", f.vendor.ID)
	}
	// Ensure is idempotent: the same alias gives the same account.
	again, err := f.app.Accounts.Ensure(context.Background(), "test-admin", account.CreateAccountInput{Type: account.Admin, Name: "Test admin"})
	if err != nil || again.ID != f.admin.ID || again.Token.Value == f.admin.Token.Value {
		t.Errorf("Ensure again = %+v, %v", again.Account, err)
	}
}

func TestAPI_BadInput(t *testing.T) {
	f := newFixture(t)
	adm := f.admin.Token.Value
	tests := []struct {
		name      string
		method    string
		path      string
		body      any
		status    int
		code      string
		fragments []string
	}{
		{"malformed JSON", "POST", "/public/v1/accounts", `{"type": "vendor",`, 400, "REQ_001", []string{"not valid JSON"}},
		{"not JSON at all", "POST", "/public/v1/accounts", `type=vendor`, 400, "REQ_001", []string{"not valid JSON"}},
		{"empty body", "POST", "/public/v1/accounts", ``, 400, "REQ_001", []string{"empty"}},
		{"array instead of object", "POST", "/public/v1/accounts", `[1,2]`, 400, "REQ_001", []string{"object"}},
		{"wrong type", "POST", "/public/v1/accounts", `{"type": "vendor", "name": 42}`, 400, "REQ_001", []string{`"name"`, "string"}},
		{"unknown field", "POST", "/public/v1/accounts", `{"type": "vendor", "name": "x", "nmae": "y"}`, 400, "VAL_001", []string{"nmae"}},
		{"trailing data", "POST", "/public/v1/accounts", `{"type": "vendor", "name": "x"} {}`, 400, "REQ_001", []string{"after"}},
		{"bad enum and missing name", "POST", "/public/v1/accounts", `{"type": "reseller"}`, 400, "VAL_001", []string{"type must be one of", "name is required"}},
		{"bad email", "POST", "/public/v1/accounts", `{"type": "vendor", "name": "x", "email": "nope"}`, 400, "VAL_001", []string{"email"}},
		{"oversize", "POST", "/public/v1/accounts", `{"type": "vendor", "name": "` + strings.Repeat("a", 2<<20) + `"}`, 413, "REQ_002", []string{"limit"}},
		{"bad limit", "GET", "/public/v1/auth/tokens?limit=-1", nil, 400, "VAL_001", []string{"limit"}},
		{"limit too high", "GET", "/public/v1/auth/tokens?limit=100000", nil, 400, "VAL_001", []string{"limit"}},
		{"bad offset", "GET", "/public/v1/auth/tokens?offset=abc", nil, 400, "VAL_001", []string{"offset"}},
		{"wrong method", "PATCH", "/public/v1/auth/tokens", nil, 405, "REQ_005", []string{"PATCH", "GET, POST"}},
		{"unknown route", "GET", "/public/v1/nothing-here", nil, 404, "OBJ_001", []string{"/public/v1/nothing-here"}},
		{"token name too long", "POST", "/public/v1/auth/tokens", map[string]string{"name": strings.Repeat("n", 101)}, 400, "VAL_001", []string{"at most 100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.call(tt.method, tt.path, adm, tt.body)
			connectError(t, res, tt.status, tt.code, tt.fragments...)
		})
	}
	// Nothing half-written: no account named "x" exists after the refusals.
	var all []account.Account
	f.do(http.MethodGet, "/public/v1/accounts?limit=1000", adm, nil, http.StatusOK, &all)
	for _, a := range all {
		if a.Name == "x" {
			t.Errorf("a refused request created account %s", a.ID)
		}
	}
}

func TestAPI_PartnerFaceErrorShape(t *testing.T) {
	f := newFixture(t)
	res := f.call(http.MethodGet, "/v1/nothing-here", f.provider.Token.Value, nil)
	if res.status != http.StatusNotFound {
		t.Fatalf("status = %d", res.status)
	}
	var e partnerErr
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Code != 800404 || e.Source != "mercato" || e.Data == nil {
		t.Errorf("not a Partner Center error (%v): %s", err, res.body)
	}
}

// TestAPI_ListFilters: the account, token and webhook lists take filters
// and RQL like every other /public/v1 list, and refuse a field they do not
// have instead of ignoring it.
func TestAPI_ListFilters(t *testing.T) {
	f := newFixture(t)
	vend := f.vendor.Token.Value
	f.do(http.MethodPost, "/public/v1/auth/tokens", vend, map[string]string{"name": "laptop"}, http.StatusCreated, nil)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer rcv.Close()
	for _, label := range []string{"ops", "billing"} {
		f.do(http.MethodPost, "/public/v1/webhooks", vend, map[string]any{"label": label, "url": rcv.URL + "/" + label}, http.StatusCreated, nil)
	}
	var ops []webhook.Webhook
	f.do(http.MethodGet, "/public/v1/webhooks?label=ops", vend, nil, http.StatusOK, &ops)
	f.do(http.MethodPut, "/public/v1/webhooks/"+ops[0].ID, vend, map[string]any{"active": false}, http.StatusOK, nil)

	tests := []struct {
		name, path, token string
		field             string // the JSON field the answer is read by
		want              []string
		wantRange         string
	}{
		{"tokens by name", "/public/v1/auth/tokens?name=laptop", vend, "name", []string{"laptop"}, "items 0-0/1"},
		{"tokens ordered", "/public/v1/auth/tokens?ordering(-name)", vend, "name", []string{"laptop", "default"}, "items 0-1/2"},
		{"accounts by type and name", "/public/v1/accounts?type=vendor&eq(name,Front%20Street%20Inc.)", f.admin.Token.Value, "id", []string{f.vendor.ID}, ""},
		{"webhooks by label", "/public/v1/webhooks?label=billing", vend, "label", []string{"billing"}, "items 0-0/1"},
		{"webhooks inactive", "/public/v1/webhooks?eq(active,false)", vend, "label", []string{"ops"}, "items 0-0/1"},
		{"webhooks ordered", "/public/v1/webhooks?ordering(label)", vend, "label", []string{"billing", "ops"}, "items 0-1/2"},
		{"event types by type", "/public/v1/webhooks/event-types?type=order.created", vend, "type", []string{"order.created"}, "items 0-0/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []map[string]any
			res := f.do(http.MethodGet, tt.path, tt.token, nil, http.StatusOK, &got)
			var vals []string
			for _, g := range got {
				vals = append(vals, fmt.Sprint(g[tt.field]))
			}
			if tt.field == "id" { // other tests' accounts share the stack
				vals = slices.DeleteFunc(vals, func(id string) bool { return id != f.vendor.ID })
			}
			if diff := cmp.Diff(tt.want, vals); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.path, diff)
			}
			if cr := res.header.Get("Content-Range"); tt.wantRange != "" && cr != tt.wantRange {
				t.Errorf("Content-Range = %q, want %q", cr, tt.wantRange)
			}
		})
	}
	for _, path := range []string{"/public/v1/auth/tokens?colour=red", "/public/v1/webhooks?eq(secret,x)", "/public/v1/webhooks/event-types?ordering(example)"} {
		t.Run("unknown field "+path, func(t *testing.T) {
			connectError(t, f.call(http.MethodGet, path, vend, nil), http.StatusBadRequest, "VAL_001")
		})
	}
	t.Run("accounts unknown field", func(t *testing.T) {
		connectError(t, f.call(http.MethodGet, "/public/v1/accounts?colour=red", f.admin.Token.Value, nil), http.StatusBadRequest, "VAL_001")
	})
}
