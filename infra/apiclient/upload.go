package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
)

// Presigned is an upload the API hands out: where to send a body, with
// which method and headers (POST /public/v1/usage/files/{id}/upload).
type Presigned struct {
	URL     string              `json:"url"`
	Method  string              `json:"method"`
	Headers map[string][]string `json:"headers"`
}

// UploadUsage sends body as the content of usage file fileID: it asks the
// API for the file's presigned upload with token and sends body there.
func (c *Client) UploadUsage(ctx context.Context, token, fileID string, body []byte) error {
	var p Presigned
	if err := c.Call(ctx, http.MethodPost, "/public/v1/usage/files/"+fileID+"/upload", token, nil, http.StatusOK, &p); err != nil {
		return err
	}
	return c.Put(ctx, p, body)
}

// Put sends body to the presigned URL p with its headers (by PUT when p
// names no method), straight to the storage, not through the API.
func (c *Client) Put(ctx context.Context, p Presigned, body []byte) error {
	method := p.Method
	if method == "" {
		method = http.MethodPut
	}
	req, err := http.NewRequestWithContext(ctx, method, p.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range p.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s to the presigned URL: %w", method, err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s to the presigned URL answered %d", method, res.StatusCode)
	}
	return nil
}
