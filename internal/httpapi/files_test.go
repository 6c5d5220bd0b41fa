package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app/filesfn"
)

// TestFilesFunction_AnswersAsTheAPI: FilesFunction's handler, built as its
// binary builds it (its own S3 client), answers the files routes exactly as
// the local API does (status, headers, body): usage files, records and
// templates, invoices, a wrong method, no token; it takes an upload, both
// as multipart and as a presigned URL; and it calls only the table actions
// its template.yaml policy grants.
func TestFilesFunction_AnswersAsTheAPI(t *testing.T) {
	s := newUsageShop(t)
	f := s.newFile(t)
	a := s.app
	files := filesfn.Handler(a.Base, a.Core, filesfn.NewServices(a.Base, a.Core))
	v, pr := s.vendor.Token.Value, s.provider.Token.Value
	type call struct {
		name, method, path, token string
		status                    int
	}
	file := "/public/v1/usage/files/" + f.ID
	calls := []call{
		{"vendor's files", http.MethodGet, "/public/v1/usage/files", v, 200},
		{"provider's files", http.MethodGet, "/public/v1/usage/files?status=draft", pr, 200},
		{"file", http.MethodGet, file, v, 200},
		{"file template", http.MethodGet, file + "/template", v, 200},
		{"product template link", http.MethodGet, "/public/v1/usage/products/" + s.lab.product.ID + "/template", v, 200},
		{"records without their file", http.MethodGet, "/public/v1/usage/records", v, 400},
		{"records", http.MethodGet, "/public/v1/usage/records?usage_file.id=" + url.QueryEscape(f.ID), v, 200},
		{"invoices", http.MethodGet, "/v1/invoices", pr, 200},
		{"unknown invoice", http.MethodGet, "/v1/invoices/IN-000000-000000-USD/reconciliation.csv", pr, 404},
		{"no token", http.MethodGet, file, "", 401},
		{"wrong method", http.MethodDelete, file, v, 405},
	}
	ops := map[string]int{}
	count := func() {
		for op, n := range s.counter.Calls() {
			ops[op] += n
		}
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			want := stacktest.Call(t, s.api, c.method, c.path, stacktest.APIKey(c.token), nil)
			s.counter.Reset()
			got := stacktest.Call(t, files, c.method, c.path, stacktest.APIKey(c.token), nil)
			count()
			if want.Code != c.status {
				t.Errorf("API %d %q, want %d", want.Code, want.Body, c.status)
			}
			sameAnswer(t, "files function", got, want, "Content-Type", "Content-Range", "Content-Disposition", "Allow", "WWW-Authenticate")
		})
	}
	t.Run("presigned upload", func(t *testing.T) {
		s.counter.Reset()
		got := stacktest.Call(t, files, http.MethodPost, file+"/upload", stacktest.APIKey(v), nil)
		count()
		if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "X-Amz-Signature") {
			t.Errorf("presigned upload = %d %s", got.Code, got.Body)
		}
	})
	t.Run("multipart upload", func(t *testing.T) {
		ctype, body := multipartBody(t, "usage.csv", []byte(s.rows([]string{"r-1"}, []string{"3"})))
		s.counter.Reset()
		got := stacktest.Call(t, files, http.MethodPost, file+"/upload", stacktest.APIKey(v), string(body), "Content-Type", ctype)
		count()
		if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `"status":"processing"`) {
			t.Errorf("multipart upload = %d %s", got.Code, got.Body)
		}
	})
	// TransactWriteItems is authorized as the Put and Update it holds.
	granted := []string{"BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem", "TransactWriteItems"}
	for op := range ops {
		if !slices.Contains(granted, op) {
			t.Errorf("the files function called %s; its policy grants %v (calls %v)", op, granted, ops)
		}
	}
	// The API's other routes are not the files function's.
	res := stacktest.Call(t, files, http.MethodGet, "/public/v1/products/"+s.lab.product.ID, stacktest.APIKey(v), nil)
	if res.Code != http.StatusNotFound {
		t.Errorf("GET a product from the files function = %d %s, want 404", res.Code, res.Body)
	}
}
