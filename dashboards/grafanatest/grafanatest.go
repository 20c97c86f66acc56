// Package grafanatest is an in-memory Grafana HTTP API for tests of code
// that provisions dashboards, since no Grafana server runs in driftwatch's
// test environment.
//
// It implements the endpoints package dashboards uses, as Grafana 10 and
// 11 document them: folders (list, get and create by UID, with titles
// unique) and dashboards (get by UID, and save through
// POST /api/dashboards/db, with ids, versions, overwrite and the
// version-mismatch and name-exists checks), behind a bearer token. It
// stores the dashboard JSON as it is posted, with id, uid and version set,
// as Grafana's backend does. Everything else of Grafana is left out.
package grafanatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Server is a running in-memory Grafana. Close it when done.
type Server struct {
	*httptest.Server
	token string

	mu         sync.Mutex
	nextID     int64
	folders    map[string]Folder     // by UID
	dashboards map[string]*dashboard // by UID
}

// Folder is a stored folder.
type Folder struct {
	ID    int64  `json:"id"`
	UID   string `json:"uid"`
	Title string `json:"title"`
}

// dashboard is a stored dashboard.
type dashboard struct {
	model     map[string]any
	folderUID string
	version   int64
}

// New starts a Grafana that accepts requests carrying
// "Authorization: Bearer token".
func New(token string) *Server {
	s := &Server{token: token, folders: map[string]Folder{}, dashboards: map[string]*dashboard{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/folders", s.listFolders)
	mux.HandleFunc("GET /api/folders/{uid}", s.getFolder)
	mux.HandleFunc("POST /api/folders", s.createFolder)
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", s.getDashboard)
	mux.HandleFunc("POST /api/dashboards/db", s.saveDashboard)
	s.Server = httptest.NewServer(s.authenticate(mux))
	return s
}

// AddFolder stores a folder, as if a user had created it.
func (s *Server) AddFolder(uid, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.folders[uid] = Folder{ID: s.nextID, UID: uid, Title: title}
}

// Folders returns the stored folders, by title.
func (s *Server) Folders() []Folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedFolders()
}

// Dashboard returns a stored dashboard's JSON, its folder's UID and its
// version.
func (s *Server) Dashboard(uid string) (model map[string]any, folderUID string, version int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dashboards[uid]
	if !ok {
		return nil, "", 0, false
	}
	return d.model, d.folderUID, d.version, true
}

// DashboardUIDs returns the UIDs of the stored dashboards, sorted.
func (s *Server) DashboardUIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	uids := make([]string, 0, len(s.dashboards))
	for uid := range s.dashboards {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	return uids
}

// Edit changes a stored dashboard as a user saving it in the UI would:
// it applies f and increments the version.
func (s *Server) Edit(uid string, f func(model map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dashboards[uid]
	f(d.model)
	d.version++
	d.model["version"] = d.version
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			reply(w, http.StatusUnauthorized, map[string]any{"message": "invalid API key"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) sortedFolders() []Folder {
	out := make([]Folder, 0, len(s.folders))
	for _, f := range s.folders {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Folder) int { return strings.Compare(a.Title, b.Title) })
	return out
}

// listFolders pages through the folders by title, with limit (default
// 1000) and page (from 1), as GET /api/folders does.
func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) {
	limit, page := 1000, 1
	if v := r.URL.Query().Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if limit < 1 || page < 1 {
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad limit or page"})
		return
	}
	s.mu.Lock()
	all := s.sortedFolders()
	s.mu.Unlock()
	start := min(len(all), (page-1)*limit)
	reply(w, http.StatusOK, all[start:min(len(all), start+limit)])
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.folders[r.PathValue("uid")]
	s.mu.Unlock()
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"message": "folder not found", "status": "not-found"})
		return
	}
	reply(w, http.StatusOK, f)
}

func (s *Server) createFolder(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UID   string `json:"uid"`
		Title string `json:"title"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	if strings.TrimSpace(in.Title) == "" {
		reply(w, http.StatusBadRequest, map[string]any{"message": "folder title cannot be empty"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.UID == "" {
		in.UID = fmt.Sprintf("folder%d", s.nextID+1)
	}
	if _, dup := s.folders[in.UID]; dup {
		reply(w, http.StatusConflict, map[string]any{"message": "a folder with the same uid already exists"})
		return
	}
	for _, f := range s.folders {
		if f.Title == in.Title {
			reply(w, http.StatusConflict, map[string]any{"message": "a folder with the same name already exists"})
			return
		}
	}
	s.nextID++
	f := Folder{ID: s.nextID, UID: in.UID, Title: in.Title}
	s.folders[f.UID] = f
	reply(w, http.StatusOK, f)
}

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dashboards[r.PathValue("uid")]
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"message": "Dashboard not found"})
		return
	}
	uid := d.model["uid"].(string)
	reply(w, http.StatusOK, map[string]any{
		"dashboard": d.model,
		"meta": map[string]any{
			"type": "db", "isFolder": false, "canSave": true, "slug": slug(d.model),
			"url": "/d/" + uid + "/" + slug(d.model), "version": d.version,
			"folderUid": d.folderUID, "folderTitle": s.folders[d.folderUID].Title,
		},
	})
}

// saveDashboard is POST /api/dashboards/db: it creates the dashboard, or
// replaces the one with its UID, which needs overwrite or the stored
// version; a dashboard of another UID with the same title in the same
// folder is in the way unless overwrite is set.
func (s *Server) saveDashboard(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Dashboard map[string]any `json:"dashboard"`
		FolderUID string         `json:"folderUid"`
		Overwrite bool           `json:"overwrite"`
		Message   string         `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Dashboard == nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	title, _ := in.Dashboard["title"].(string)
	if strings.TrimSpace(title) == "" {
		reply(w, http.StatusBadRequest, map[string]any{"message": "Dashboard title cannot be empty", "status": "empty-name"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.folders[in.FolderUID]; in.FolderUID != "" && !ok {
		reply(w, http.StatusBadRequest, map[string]any{"message": "folder not found", "status": "not-found"})
		return
	}
	uid, _ := in.Dashboard["uid"].(string)
	if uid == "" {
		uid = fmt.Sprintf("generated%d", s.nextID+1)
	}
	for otherUID, other := range s.dashboards {
		if otherUID != uid && other.folderUID == in.FolderUID && other.model["title"] == title {
			if !in.Overwrite {
				reply(w, http.StatusPreconditionFailed, map[string]any{"message": "A dashboard with the same name in the folder already exists", "status": "name-exists"})
				return
			}
			delete(s.dashboards, otherUID)
		}
	}
	old, exists := s.dashboards[uid]
	var id, version int64
	if exists {
		if sent, _ := in.Dashboard["version"].(float64); !in.Overwrite && int64(sent) != old.version {
			reply(w, http.StatusPreconditionFailed, map[string]any{"message": "The dashboard has been changed by someone else", "status": "version-mismatch"})
			return
		}
		id, version = int64(old.model["id"].(float64)), old.version+1
	} else {
		s.nextID++
		id, version = s.nextID, 1
	}
	model := in.Dashboard
	model["id"], model["uid"], model["version"] = float64(id), uid, version
	// Store it as JSON reads back, so numbers are float64 like a decoded
	// answer's.
	data, _ := json.Marshal(model)
	var storedModel map[string]any
	_ = json.Unmarshal(data, &storedModel)
	s.dashboards[uid] = &dashboard{model: storedModel, folderUID: in.FolderUID, version: version}
	reply(w, http.StatusOK, map[string]any{
		"id": id, "uid": uid, "url": "/d/" + uid + "/" + slug(model), "status": "success", "version": version, "slug": slug(model),
	})
}

// slug is the URL slug Grafana derives from a title: lower case, with
// runs of other characters turned into one '-'.
func slug(model map[string]any) string {
	title, _ := model["title"].(string)
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
