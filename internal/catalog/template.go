package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Template types.
const (
	TemplateFulfillment = "fulfillment"
	TemplateInquire     = "inquire"
)

// Template is a Markdown message with {{ param_name }} placeholders, shown
// to the provider when a request is approved (fulfillment) or needs more
// information (inquire).
type Template struct {
	ID string `json:"id"`
	// Name is Connect's required name of the template; templates made
	// before it existed show their title.
	Name    string    `json:"name"`
	Scope   string    `json:"scope"`
	Type    string    `json:"type"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// TemplateInput is the body of POST and PUT /templates.
type TemplateInput struct {
	Name  *string `json:"name"`
	Scope *string `json:"scope"`
	Type  *string `json:"type"`
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

const maxBody = 64 << 10

// Builtins are the placeholders every template may use besides the
// product's parameters, filled from the request being rendered.
var Builtins = []string{"asset.id", "asset.external_id", "request.id", "product.id", "product.name", "marketplace.id", "customer.name"}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)

// Placeholders lists the distinct names a body refers to, in order.
func Placeholders(body string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// Render substitutes every placeholder with value(name). A name value does
// not know renders as empty: rendering never fails, because the names were
// checked when the template was saved.
func Render(body string, value func(name string) string) string {
	return placeholder.ReplaceAllStringFunc(body, func(m string) string {
		return value(placeholder.FindStringSubmatch(m)[1])
	})
}

func (in TemplateInput) apply(t *Template) []string {
	var msgs []string
	choose := func(dst, src *string, field string, allowed ...string) {
		if src == nil {
			return
		}
		if !slices.Contains(allowed, *src) {
			msgs = append(msgs, fmt.Sprintf("%s must be one of %s (got %q)", field, strings.Join(allowed, ", "), *src))
			return
		}
		*dst = *src
	}
	choose(&t.Scope, in.Scope, "scope", scopes...)
	choose(&t.Type, in.Type, "type", TemplateFulfillment, TemplateInquire)
	if in.Title != nil {
		if v := strings.TrimSpace(*in.Title); v == "" || len(v) > maxName {
			msgs = append(msgs, fmt.Sprintf("title is required and must be at most %d characters", maxName))
		} else {
			t.Title = v
		}
	}
	if in.Name != nil {
		if v := strings.TrimSpace(*in.Name); v == "" || len(v) > maxName {
			msgs = append(msgs, fmt.Sprintf("name must not be empty and must be at most %d characters", maxName))
		} else {
			t.Name = v
		}
	}
	if in.Body != nil {
		if strings.TrimSpace(*in.Body) == "" || len(*in.Body) > maxBody {
			msgs = append(msgs, fmt.Sprintf("body is required and must be at most %d bytes", maxBody))
		} else {
			t.Body = *in.Body
		}
	}
	return msgs
}

func newTemplate(in TemplateInput) (Template, []string) {
	// Connect clients send a name and may leave the title out; Mercato's
	// first clients send a title only. Either names the other.
	if in.Title == nil {
		in.Title = in.Name
	}
	if in.Name == nil {
		in.Name = in.Title
	}
	var msgs []string
	for field, v := range map[string]*string{"title": in.Title, "body": in.Body, "type": in.Type} {
		if v == nil {
			msgs = append(msgs, field+" is required")
		}
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		return Template{}, msgs
	}
	t := Template{Scope: ScopeAsset}
	return t, in.apply(&t)
}

// unknownPlaceholders returns the names in body that are neither a
// parameter of the product nor a builtin.
func unknownPlaceholders(body string, params map[string]Parameter) []string {
	names := map[string]bool{}
	for _, p := range params {
		names[p.Name] = true
	}
	var missing []string
	for _, n := range Placeholders(body) {
		if !names[n] && !slices.Contains(Builtins, n) {
			missing = append(missing, n)
		}
	}
	return missing
}

// Preview is a rendered template with the values it used.
type Preview struct {
	TemplateID string            `json:"template_id"`
	Body       string            `json:"body"`
	Values     map[string]string `json:"values"`
}

// preview renders t with the supplied values, and a sample for every other
// placeholder ("<Title>" for a parameter, an example for a builtin), as the
// Connect lab's preview shows.
func preview(t Template, params map[string]Parameter, supplied map[string]string) Preview {
	titles := map[string]string{}
	for _, p := range params {
		titles[p.Name] = p.Title
	}
	used := map[string]string{}
	body := Render(t.Body, func(name string) string {
		v, ok := supplied[name]
		if !ok {
			v = sampleValue(name, titles[name])
		}
		used[name] = v
		return v
	})
	return Preview{TemplateID: t.ID, Body: body, Values: used}
}

func sampleValue(name, title string) string {
	samples := map[string]string{
		"asset.id": "AS-0000-0000-0000", "asset.external_id": "12345", "request.id": "PR-0000-0000-0000-001",
		"product.id": "PRD-000-000-000", "product.name": "Sample product", "marketplace.id": "MP-00000",
		"customer.name": "Sample customer",
	}
	if v, ok := samples[name]; ok {
		return v
	}
	if title == "" {
		title = name
	}
	return "<" + title + ">"
}
