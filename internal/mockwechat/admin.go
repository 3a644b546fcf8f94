package mockwechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// adminPrefix is a path the real API never uses; the package doc lists the
// admin endpoints.
const adminPrefix = "/_mock/"

// adminRequest holds every field any admin endpoint reads, so that one
// decoder serves them all.
type adminRequest struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	OpenID     string `json:"openid"`
	TagID      int64  `json:"tagid"`
	Path       string `json:"path"`
	ErrCode    int    `json:"errcode"`
	DailyLimit *int   `json:"daily_limit"`

	body []byte // for endpoints whose body is a whole type, such as Faults
}

type adminFailure struct {
	Error   string `json:"error"`
	ErrCode int    `json:"errcode,omitempty"`
}

type adminHandler func(*Server, adminRequest) (any, error)

var done = map[string]bool{"ok": true}

var adminRoutes = map[string]map[string]adminHandler{
	"/_mock/calls": {http.MethodGet: func(s *Server, _ adminRequest) (any, error) {
		return s.Calls(), nil
	}},
	"/_mock/calls/reset": {http.MethodPost: func(s *Server, _ adminRequest) (any, error) {
		s.ResetCalls()
		return done, nil
	}},
	"/_mock/state": {http.MethodGet: (*Server).adminState},
	"/_mock/followers": {
		http.MethodGet: func(s *Server, _ adminRequest) (any, error) {
			return map[string][]string{"openids": s.Followers()}, nil
		},
		http.MethodPost: func(s *Server, req adminRequest) (any, error) {
			if req.OpenID == "" {
				return nil, errors.New("openid is required")
			}
			s.AddFollower(req.OpenID)
			return done, nil
		},
	},
	"/_mock/tags/create": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		t, err := s.CreateTag(req.Name)
		return tagRef{t.ID, t.Name}, err
	}},
	"/_mock/tags/rename": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		return done, s.RenameTag(req.ID, req.Name)
	}},
	"/_mock/tags/delete": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		return done, s.DeleteTag(req.ID)
	}},
	"/_mock/users/tag": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		return done, s.TagUser(req.OpenID, req.TagID)
	}},
	"/_mock/users/untag": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		return done, s.UntagUser(req.OpenID, req.TagID)
	}},
	"/_mock/tokens/expire": {http.MethodPost: func(s *Server, _ adminRequest) (any, error) {
		s.ExpireTokens()
		return done, nil
	}},
	"/_mock/tokens/issue": {http.MethodPost: func(s *Server, _ adminRequest) (any, error) {
		return map[string]string{"access_token": s.IssueAccessToken()}, nil
	}},
	"/_mock/quotas": {
		http.MethodGet: func(s *Server, _ adminRequest) (any, error) {
			return s.Quotas(), nil
		},
		http.MethodPost: func(s *Server, req adminRequest) (any, error) {
			if req.DailyLimit == nil {
				return nil, errors.New("daily_limit is required")
			}
			return done, s.SetDailyQuota(req.Path, *req.DailyLimit)
		},
	},
	"/_mock/fail": {http.MethodPost: func(s *Server, req adminRequest) (any, error) {
		return done, s.FailNext(req.Path, req.ErrCode)
	}},
	"/_mock/faults": {
		http.MethodGet: (*Server).adminFaults,
		http.MethodPost: func(s *Server, req adminRequest) (any, error) {
			var f Faults
			if len(bytes.TrimSpace(req.body)) > 0 {
				if err := json.Unmarshal(req.body, &f); err != nil {
					return nil, fmt.Errorf("invalid faults: %w", err)
				}
			}
			return done, s.SetFaults(f)
		},
		http.MethodDelete: func(s *Server, _ adminRequest) (any, error) {
			return done, s.SetFaults(Faults{})
		},
	},
	"/_mock/tokens": {http.MethodGet: func(s *Server, _ adminRequest) (any, error) {
		return map[string][]string{"issued": s.IssuedTokens()}, nil
	}},
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	methods, ok := adminRoutes[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, adminFailure{Error: "no such admin endpoint: " + r.URL.Path})
		return
	}
	handle, ok := methods[r.Method]
	if !ok {
		w.Header().Set("Allow", strings.Join(slices.Sorted(maps.Keys(methods)), ", "))
		writeJSON(w, http.StatusMethodNotAllowed, adminFailure{Error: r.Method + " not allowed on " + r.URL.Path})
		return
	}
	var req adminRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil && len(bytes.TrimSpace(body)) > 0 {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, adminFailure{Error: "invalid JSON body: " + err.Error()})
		return
	}
	req.body = body
	reply, err := handle(s, req)
	if err != nil {
		failure, status := adminFailure{Error: err.Error()}, http.StatusBadRequest
		if e := (*Error)(nil); errors.As(err, &e) {
			failure.ErrCode, status = e.Code, http.StatusUnprocessableEntity
		}
		writeJSON(w, status, failure)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

type followerState struct {
	OpenID    string  `json:"openid"`
	TagIDList []int64 `json:"tagid_list"`
}

func (s *Server) adminState(adminRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	followers := make([]followerState, len(s.order))
	for i, f := range s.order {
		followers[i] = followerState{f.openid, f.sortedTags()}
	}
	return struct {
		Tags      []Tag           `json:"tags"`
		Followers []followerState `json:"followers"`
	}{s.tagList(), followers}, nil
}

func (s *Server) adminFaults(adminRequest) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return struct {
		Faults Faults     `json:"faults"`
		Stats  FaultStats `json:"stats"`
	}{s.injector.faults, s.injector.statsCopy()}, nil
}
