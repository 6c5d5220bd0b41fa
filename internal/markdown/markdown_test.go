package markdown

import (
	"strings"
	"testing"
)

func TestHTML_RendersAndSanitises(t *testing.T) {
	tests := []struct {
		name    string
		md      string
		want    []string
		notWant []string
	}{
		{name: "markdown", md: "# Welcome\nYour admin is **a@b.co**.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
			want: []string{"<h1", "Welcome</h1>", `<strong><a href="mailto:a@b.co" rel="nofollow">a@b.co</a></strong>`, "<table>", "<td>1</td>"}},
		{name: "script in a value", md: "Tenant: <script>alert(1)</script> done",
			notWant: []string{"<script", "alert(1)</script>"}},
		{name: "javascript link", md: "[click](javascript:alert(1))",
			notWant: []string{"javascript:"}},
		{name: "event handler", md: `<img src="x" onerror="alert(1)">`,
			notWant: []string{"onerror"}},
		{name: "raw HTML block", md: "<div onclick=\"alert(1)\">\n<iframe src=\"https://evil.example\"></iframe>\n</div>",
			notWant: []string{"<div", "onclick", "<iframe"}},
		{name: "link", md: "[docs](https://docs.example/a)",
			want: []string{`<a href="https://docs.example/a" rel="nofollow">docs</a>`}},
		{name: "attribute breakout in a title", md: `[a](https://x.example "\" onmouseover=\"alert(1)")`,
			want: []string{`title="&quot; onmouseover=&quot;alert(1)"`}, notWant: []string{`" onmouseover="`}},
		{name: "dangerous schemes", md: "[v](vbscript:msgbox(1)) [d](data:text/html,<script>alert(1)</script>) ![i](javascript:alert(1))",
			notWant: []string{"vbscript:", "data:text/html", "javascript:", "<script"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HTML(tt.md)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML %q lacks %q", got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("HTML %q contains %q", got, w)
				}
			}
		})
	}
}
