package stacktest

import (
	"bytes"
	"sync"
)

// Log is a buffer that goroutines write while a test reads it: a function
// log that the API and every event source write to, or an emulator's
// output.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
