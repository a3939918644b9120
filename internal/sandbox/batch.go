package sandbox

import (
	"net/http"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) { wire.NotFound(w) }
