package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// dtsGroup is what DTS knows about a consumer group and Kafka does not.
type dtsGroup struct {
	SubscribeID string    `json:"SubscribeId"`
	Name        string    `json:"ConsumerGroupName"` // short name
	Account     string    `json:"AccountName"`       // short name
	Password    string    `json:"Password"`
	Description string    `json:"Description"`
	CreatedAt   time.Time `json:"CreatedAt"`
	UpdatedAt   time.Time `json:"UpdatedAt"`
}

// storeFile is the on-disk form. Seeded remembers which configured groups were already created, so a group
// deleted through the API stays deleted across a restart while a group added to the config later appears.
type storeFile struct {
	Groups []dtsGroup `json:"Groups"`
	Seeded []string   `json:"Seeded"`
}

// store is the list of DTS consumer groups, in creation order, optionally persisted as JSON.
type store struct {
	mu     sync.Mutex
	path   string // empty: memory only
	groups []dtsGroup
	seeded map[string]bool
}

func memStore() *store { return &store{seeded: map[string]bool{}} }

func openStore(path string) (*store, error) {
	s := &store{path: path, seeded: map[string]bool{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emulator: reading the group list: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("emulator: %s: %w", path, err)
	}
	s.groups = f.Groups
	for _, k := range f.Seeded {
		s.seeded[k] = true
	}
	return s, nil
}

func seedKey(subscribeID, name string) string { return subscribeID + "/" + name }

// seed creates the configured groups not created before.
func (s *store) seed(cfg Config, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range cfg.Subscriptions {
		for _, g := range sub.ConsumerGroups {
			k := seedKey(sub.SubscribeID, g.ConsumerGroupName)
			if s.seeded[k] {
				continue
			}
			s.seeded[k] = true
			if _, ok := s.findLocked(sub.SubscribeID, g.ConsumerGroupName); ok {
				continue
			}
			s.groups = append(s.groups, dtsGroup{
				SubscribeID: sub.SubscribeID, Name: g.ConsumerGroupName, Account: g.AccountName,
				Password: g.Password, Description: g.Description, CreatedAt: now, UpdatedAt: now,
			})
		}
	}
	return s.saveLocked()
}

func (s *store) findLocked(subscribeID, name string) (int, bool) {
	for i, g := range s.groups {
		if g.SubscribeID == subscribeID && g.Name == name {
			return i, true
		}
	}
	return -1, false
}

func (s *store) list(subscribeID string) []dtsGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []dtsGroup
	for _, g := range s.groups {
		if g.SubscribeID == subscribeID {
			out = append(out, g)
		}
	}
	return out
}

func (s *store) find(subscribeID, name string) (dtsGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.findLocked(subscribeID, name)
	if !ok {
		return dtsGroup{}, false
	}
	return s.groups[i], true
}

// add appends g unless a group of that name exists.
func (s *store) add(g dtsGroup) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findLocked(g.SubscribeID, g.Name); ok {
		return false, nil
	}
	s.groups = append(s.groups, g)
	return true, s.saveLocked()
}

func (s *store) remove(subscribeID, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.findLocked(subscribeID, name); ok {
		s.groups = append(s.groups[:i:i], s.groups[i+1:]...)
	}
	return s.saveLocked()
}

func (s *store) touch(subscribeID, name string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.findLocked(subscribeID, name); ok {
		s.groups[i].UpdatedAt = now
	}
	return s.saveLocked()
}

func (s *store) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked()
}

// saveLocked writes the file atomically (temporary file, then rename).
func (s *store) saveLocked() error {
	if s.path == "" {
		return nil
	}
	f := storeFile{Groups: s.groups, Seeded: make([]string, 0, len(s.seeded))}
	for k := range s.seeded {
		f.Seeded = append(f.Seeded, k)
	}
	slices.Sort(f.Seeded)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("emulator: writing the group list: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("emulator: writing the group list: %w", err)
	}
	return nil
}
