// Command dispatcher consumes the webhook queue and delivers signed events
// to the endpoints accounts registered.
package main

import "github.com/mercato-dev/mercato/internal/app"

func main() { app.Start(app.DispatcherFunction) }
