package scale

import (
	"regexp"
	"strings"
)

// Shaper generalises concrete partition keys into key shapes: the
// workload's named ids become their names (<vendor>, <provider>), dates
// <date>, short numbers (shard suffixes) <n>, and every other id <id>.
// Keys are split on '#', the separator the table's keys use; a segment is
// an id when it is long and holds a digit (Connect ids, UUIDs, hashes).
type Shaper struct {
	Names map[string]string // concrete value → placeholder, e.g. "VA-123-456" → "<vendor>"
}

var (
	dateSegment  = regexp.MustCompile(`^\d{4}-\d{2}(-\d{2})?([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$`)
	shardSegment = regexp.MustCompile(`^\d{1,3}$`)
	digit        = regexp.MustCompile(`\d`)
)

// Shape returns key's shape.
func (s Shaper) Shape(key string) string {
	segs := strings.Split(key, "#")
	for i, seg := range segs {
		if name, ok := s.Names[seg]; ok {
			segs[i] = name
			continue
		}
		segs[i] = s.segment(seg)
	}
	return strings.Join(segs, "#")
}

func (s Shaper) segment(seg string) string {
	for v, name := range s.Names {
		if v != "" && strings.Contains(seg, v) {
			seg = strings.ReplaceAll(seg, v, name)
		}
	}
	switch {
	case strings.Contains(seg, "<"):
		return seg
	case dateSegment.MatchString(seg):
		return "<date>"
	case shardSegment.MatchString(seg):
		return "<n>"
	case len(seg) >= 6 && digit.MatchString(seg):
		return "<id>"
	}
	return seg
}
