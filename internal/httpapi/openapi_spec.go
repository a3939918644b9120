package httpapi

import (
	"encoding/json"
	"sync"
)

// OpenAPIDocument is the OpenAPI 3.1 description, built once from the operation table.
var OpenAPIDocument = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(buildSpec(), "", "  ")
	if err != nil {
		panic(err)
	}
	return b
})

func buildSpec() map[string]any {
	return map[string]any{"openapi": "3.1.0", "info": map[string]any{"title": "Jarvis API", "version": "1"}, "paths": map[string]any{}}
}
