package catalog

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRender(t *testing.T) {
	body := "Hi {{ param_admin_email }}, asset {{asset.id}}; {{ unknown }} {{ param_admin_email }}"
	if diff := cmp.Diff([]string{"param_admin_email", "asset.id", "unknown"}, Placeholders(body)); diff != "" {
		t.Errorf("Placeholders (-want +got):\n%s", diff)
	}
	got := Render(body, func(n string) string {
		return map[string]string{"param_admin_email": "a@b.c", "asset.id": "AS-1"}[n]
	})
	if want := "Hi a@b.c, asset AS-1;  a@b.c"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestUnknownPlaceholders(t *testing.T) {
	params := map[string]Parameter{"1": {Name: "param_a"}}
	got := unknownPlaceholders("{{ param_a }} {{ product.name }} {{ param_b }} {{ request.nope }}", params)
	if diff := cmp.Diff([]string{"param_b", "request.nope"}, got); diff != "" {
		t.Errorf("unknown (-want +got):\n%s", diff)
	}
}

// TestDefaultActivationTemplate: the template a new product starts with is
// valid as a vendor would write it, and names no parameter, so the vendor
// can delete or rename the default parameter before editing it.
func TestDefaultActivationTemplate(t *testing.T) {
	d := defaultActivationTemplate(time.Now())
	in, msgs := newTemplate(TemplateInput{Name: &d.Name, Title: &d.Title, Scope: &d.Scope, Type: &d.Type, Body: &d.Body})
	in.ID, in.Created, in.Updated = d.ID, d.Created, d.Updated
	if len(msgs) > 0 || !cmp.Equal(in, d) {
		t.Errorf("the default template is not what its own input makes: %v\n%s", msgs, cmp.Diff(in, d))
	}
	if !strings.HasPrefix(d.ID, "TL-") || d.Type != TemplateFulfillment || d.Scope != ScopeAsset {
		t.Errorf("default template = %+v, want an asset fulfillment template", d)
	}
	if unknown := unknownPlaceholders(d.Body, map[string]Parameter{}); len(unknown) > 0 {
		t.Errorf("the default template needs parameters %v", unknown)
	}
	if p := Placeholders(d.Body); !slices.Contains(p, "asset.id") {
		t.Errorf("placeholders = %v, want the asset id among them", p)
	}
}

func TestNewItem(t *testing.T) {
	s := func(v string) *string { return &v }
	code := func(v string) *Code { c := Code(v); return &c }
	tests := []struct {
		name  string
		in    ItemInput
		check func(t *testing.T, it Item, msgs []string)
	}{
		{"reservation defaults", ItemInput{Name: s("Users"), MPN: s("M1"), Type: s("reservation"), Unit: code("users")},
			func(t *testing.T, it Item, msgs []string) {
				if len(msgs) > 0 || it.Period != PeriodMonthly || it.Precision != PrecisionInteger || it.MinQuantity != 1 || it.MaxQuantity != nil {
					t.Errorf("item = %+v, %v", it, msgs)
				}
			}},
		{"ppu is monthly with decimals", ItemInput{Name: s("GB"), MPN: s("M2"), Type: s("ppu"), Unit: code("GB")},
			func(t *testing.T, it Item, msgs []string) {
				if len(msgs) > 0 || it.Period != PeriodMonthly || Decimals(it.Precision) != 2 || it.MinQuantity != 0 {
					t.Errorf("item = %+v, %v", it, msgs)
				}
			}},
		{"ppu cannot be yearly", ItemInput{Name: s("GB"), MPN: s("M2"), Type: s("ppu"), Unit: code("GB"), Period: s("yearly")},
			func(t *testing.T, it Item, msgs []string) { wantMsg(t, msgs, "billed monthly") }},
		{"missing fields", ItemInput{Name: s("x")},
			func(t *testing.T, it Item, msgs []string) {
				if diff := cmp.Diff([]string{"mpn is required", "type is required", "unit is required"}, msgs); diff != "" {
					t.Errorf("msgs (-want +got):\n%s", diff)
				}
			}},
		{"bad enums", ItemInput{Name: s("x"), MPN: s("m"), Type: s("lease"), Unit: code("u"), Period: s("weekly")},
			func(t *testing.T, it Item, msgs []string) {
				wantMsg(t, msgs, "type must be one of", "period must be one of")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, msgs := newItem(tt.in)
			tt.check(t, it, msgs)
		})
	}
}

func TestParameterInput_Apply(t *testing.T) {
	s := func(v string) *string { return &v }
	p, msgs := newParameter(ParameterInput{Name: s("param_x"), Title: s("X"), Type: s("email"), Scope: s("asset"), Phase: s("ordering")})
	if len(msgs) > 0 {
		t.Fatal(msgs)
	}
	for field, in := range map[string]ParameterInput{
		"type":  {Type: s("text")},
		"scope": {Scope: s("tier1")},
		"phase": {Phase: s("fulfillment")},
	} {
		q := p
		wantMsg(t, in.apply(&q, false), field+" cannot change")
	}
	q := p
	if msgs := (ParameterInput{Title: s("New"), Phase: s("ordering")}).apply(&q, false); len(msgs) > 0 || q.Title != "New" {
		t.Errorf("unchanged phase and a new title: %v %+v", msgs, q)
	}
	_, msgs = newParameter(ParameterInput{Name: s("1bad name"), Title: s("X"), Type: s("email"), Scope: s("asset"), Phase: s("ordering")})
	wantMsg(t, msgs, "must start with a letter")
}

func TestItemTerms(t *testing.T) {
	tests := []struct {
		it      Item
		in      []string
		want    []string
		wantErr bool
	}{
		{Item{Type: ItemReservation, Period: PeriodMonthly}, nil, []string{TermMonth}, false},
		{Item{Type: ItemReservation, Period: PeriodMonthly}, []string{TermYear, TermMonth, TermYear}, []string{TermYear, TermMonth}, false},
		{Item{Type: ItemReservation, Period: PeriodYearly}, []string{TermMonth}, nil, true},
		{Item{Type: ItemReservation, Period: PeriodOneTime}, nil, []string{}, false},
		{Item{Type: ItemPPU, Period: PeriodMonthly}, []string{TermYear}, nil, true},
	}
	for _, tt := range tests {
		got, msgs := itemTerms(tt.it, tt.in)
		if (len(msgs) > 0) != tt.wantErr || (!tt.wantErr && !cmp.Equal(tt.want, got)) {
			t.Errorf("itemTerms(%s %s, %v) = %v, %v", tt.it.Type, tt.it.Period, tt.in, got, msgs)
		}
	}
}

func TestCheckCountry(t *testing.T) {
	for in, want := range map[string]string{"us": "US", " CA ": "CA"} {
		if got, err := CheckCountry(in); err != nil || got != want {
			t.Errorf("CheckCountry(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ZZ", "USA", "EU", "1"} {
		if _, err := CheckCountry(bad); err == nil {
			t.Errorf("CheckCountry(%q) accepted", bad)
		}
	}
}

func wantMsg(t *testing.T, msgs []string, fragments ...string) {
	t.Helper()
	all := strings.Join(msgs, " | ")
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			t.Errorf("messages %q lack %q", all, f)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, seed := range []string{"Hi {{ param_a }}", "{{{{ x }}}}", "{{ asset.id }} {{", "}}{{param_b}}{{ param_b }}", "\x00{{ \u00e9 }}"} {
		f.Add(seed, "value")
	}
	f.Fuzz(func(t *testing.T, body, value string) {
		names := Placeholders(body)
		out := Render(body, func(string) string { return value })
		// Rendering is one pass: each placeholder occurrence is replaced
		// once and nothing else changes. The output is never rendered again,
		// so braces that meet after a substitution ("{{1}{{0}}}" becomes
		// "{{1}}") stay inert text; a regexp re-scan is not the property.
		matches := placeholder.FindAllStringIndex(body, -1)
		calls, removed := 0, 0
		for _, m := range matches {
			removed += m[1] - m[0]
		}
		empty := Render(body, func(string) string { calls++; return "" })
		if calls != len(matches) || len(empty) != len(body)-removed {
			t.Fatalf("Render(%q) made %d substitutions and %d bytes; want %d and %d", body, calls, len(empty), len(matches), len(body)-removed)
		}
		if want := len(body) - removed + len(matches)*len(value); len(out) != want {
			t.Fatalf("Render(%q, %q) is %d bytes, want %d", body, value, len(out), want)
		}
		if len(names) == 0 && out != body {
			t.Fatalf("a body without placeholders changed: %q -> %q", body, out)
		}
	})
}
