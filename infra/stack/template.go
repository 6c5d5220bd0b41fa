package stack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM/CloudFormation template. Property trees are kept
// generic (map[string]any, []any, string, int, float64, bool, nil) with
// every short-form intrinsic (!Ref, !GetAtt, !Sub, ...) rewritten to its
// long form ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...), so callers only
// ever see one spelling.
type Template struct {
	Description string
	Parameters  map[string]Parameter
	Globals     Globals
	Resources   map[string]Resource
	Outputs     map[string]any

	functions []Function
	// raw is the whole document in long form, for EmulatorBody.
	raw map[string]any
}

// Parameter is a template parameter.
type Parameter struct {
	Type       string
	Default    string
	HasDefault bool
}

// Globals holds the SAM Globals section parts the local runtime needs.
type Globals struct {
	Function FunctionGlobals
}

// FunctionGlobals is Globals.Function.
type FunctionGlobals struct {
	// Timeout in seconds; 0 when not set.
	Timeout int
	// Environment is Environment.Variables, unresolved.
	Environment map[string]any
	// Properties is the whole Globals.Function section.
	Properties map[string]any
}

// Resource is one entry of the Resources section.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	DependsOn  []string
}

// Resource types the stack package understands.
const (
	TypeFunction   = "AWS::Serverless::Function"
	TypeQueue      = "AWS::SQS::Queue"
	TypeTable      = "AWS::DynamoDB::Table"
	TypeBucket     = "AWS::S3::Bucket"
	defaultTimeout = 3
)

// ParseTemplateFile parses the template at path.
func ParseTemplateFile(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	tpl, err := ParseTemplate(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tpl, nil
}

// ParseTemplate parses a YAML (or JSON) template.
func ParseTemplate(r io.Reader) (*Template, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse template yaml: %w", err)
	}
	tree, err := toValue(&doc)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is %T, want a mapping", tree)
	}
	tpl := &Template{
		Description: asString(root["Description"]),
		Parameters:  map[string]Parameter{},
		Resources:   map[string]Resource{},
		Outputs:     asMap(root["Outputs"]),
		raw:         root,
	}
	if err := tpl.parseParameters(asMap(root["Parameters"])); err != nil {
		return nil, err
	}
	if err := tpl.parseGlobals(asMap(asMap(root["Globals"])["Function"])); err != nil {
		return nil, err
	}
	if err := tpl.parseResources(root["Resources"]); err != nil {
		return nil, err
	}
	fns, err := tpl.parseFunctions()
	if err != nil {
		return nil, err
	}
	tpl.functions = fns
	return tpl, nil
}

func (t *Template) parseParameters(params map[string]any) error {
	for name, v := range params {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("parameter %s: not a mapping", name)
		}
		p := Parameter{Type: asString(m["Type"])}
		if d, ok := m["Default"]; ok {
			s, err := scalarString(d)
			if err != nil {
				return fmt.Errorf("parameter %s default: %w", name, err)
			}
			p.Default, p.HasDefault = s, true
		}
		t.Parameters[name] = p
	}
	return nil
}

func (t *Template) parseGlobals(fn map[string]any) error {
	timeout, err := optionalInt(fn, "Timeout", 0)
	if err != nil {
		return fmt.Errorf("Globals.Function: %w", err)
	}
	t.Globals.Function = FunctionGlobals{
		Timeout:     timeout,
		Environment: asMap(asMap(fn["Environment"])["Variables"]),
		Properties:  fn,
	}
	return nil
}

func (t *Template) parseResources(v any) error {
	resources, ok := v.(map[string]any)
	if !ok || len(resources) == 0 {
		return fmt.Errorf("parse template: no Resources section")
	}
	for id, rv := range resources {
		m, ok := rv.(map[string]any)
		if !ok {
			return fmt.Errorf("resource %s: not a mapping", id)
		}
		typ := asString(m["Type"])
		if typ == "" {
			return fmt.Errorf("resource %s: no Type", id)
		}
		deps, err := stringList(m["DependsOn"])
		if err != nil {
			return fmt.Errorf("resource %s DependsOn: %w", id, err)
		}
		t.Resources[id] = Resource{LogicalID: id, Type: typ, Properties: asMap(m["Properties"]), DependsOn: deps}
	}
	return nil
}

// LogicalIDs returns the logical ids of the resources of the given type
// (all resources when typ is empty), sorted.
func (t *Template) LogicalIDs(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if typ == "" || r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// toValue converts a YAML node into the generic tree, rewriting CloudFormation
// short-form tags into their long forms.
func toValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("empty document")
		}
		return toValue(n.Content[0])
	case yaml.AliasNode:
		return toValue(n.Alias)
	}
	if tag, ok := shortFormTag(n.Tag); ok {
		return intrinsic(tag, n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return mappingValue(n)
	case yaml.SequenceNode:
		return sequenceValue(n)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unsupported yaml node kind %d", n.Line, n.Kind)
}

func mappingValue(n *yaml.Node) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			return nil, fmt.Errorf("line %d: yaml merge keys are not supported in templates", k.Line)
		}
		val, err := toValue(v)
		if err != nil {
			return nil, err
		}
		m[k.Value] = val
	}
	return m, nil
}

func sequenceValue(n *yaml.Node) ([]any, error) {
	s := make([]any, 0, len(n.Content))
	for _, c := range n.Content {
		v, err := toValue(c)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
	}
	return s, nil
}

// shortFormTag reports whether tag is a CloudFormation short form such as
// !Ref or !GetAtt, and returns its name without the bang.
func shortFormTag(tag string) (string, bool) {
	if len(tag) < 2 || tag[0] != '!' || tag[1] == '!' {
		return "", false
	}
	return tag[1:], true
}

// intrinsic rewrites a short-form intrinsic into the long form.
func intrinsic(tag string, n *yaml.Node) (any, error) {
	// Strip the tag so the content decodes as plain YAML.
	inner := *n
	inner.Tag = ""
	if n.Kind == yaml.ScalarNode {
		inner.Tag = "!!str"
	}
	v, err := toValue(&inner)
	if err != nil {
		return nil, err
	}
	switch tag {
	case "Ref":
		return map[string]any{"Ref": v}, nil
	case "Condition":
		return map[string]any{"Condition": v}, nil
	case "GetAtt":
		// !GetAtt Res.Attr is a string; the long form is a two-element list.
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q: want Resource.Attribute", n.Line, s)
			}
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	}
	return map[string]any{"Fn::" + tag: v}, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// scalarString renders a YAML scalar the way CloudFormation sees it: as a
// string.
func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("want a scalar, got %T", v)
}

// stringList accepts a string or a list of strings, as DependsOn does.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a string or a list, got %T", v)
}

// optionalInt reads an integer property, accepting numeric strings as
// CloudFormation does.
func optionalInt(m map[string]any, key string, def int) (int, error) {
	return optional(m, key, def, strconv.Atoi, "an integer")
}

// optionalBool reads a boolean property, accepting "true" and "false" as
// CloudFormation does.
func optionalBool(m map[string]any, key string, def bool) (bool, error) {
	return optional(m, key, def, strconv.ParseBool, "a boolean")
}

// optional reads property key of m as a T, or its string form through
// parse; def when it is absent. what names a T in errors.
func optional[T int | bool](m map[string]any, key string, def T, parse func(string) (T, error), what string) (T, error) {
	var zero T
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case T:
		return x, nil
	case string:
		out, err := parse(x)
		if err != nil {
			return zero, fmt.Errorf("%s: %q is not %s", key, x, what)
		}
		return out, nil
	}
	return zero, fmt.Errorf("%s: want %s, got %T", key, what, v)
}
