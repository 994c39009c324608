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

// seed creates the configured groups not created before, and gives those that exist the configured account
// and password.
func (s *store) seed(cfg Config, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range cfg.Subscriptions {
		for _, g := range sub.ConsumerGroups {
			k := seedKey(sub.SubscribeID, g.ConsumerGroupName)
			if i, ok := s.findLocked(sub.SubscribeID, g.ConsumerGroupName); ok {
				// The configuration says who the group's account is and its password, also after a restart.
				s.groups[i].Account, s.groups[i].Password = g.AccountName, g.Password
				s.seeded[k] = true
				continue
			}
			if s.seeded[k] {
				continue // deleted through the API: it stays deleted
			}
			s.seeded[k] = true
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

// add appends g. It refuses, with the API's error, a name that exists, a subscription already holding
// MaxConsumerGroups groups, and an account that exists with another password (one account is one Kafka user).
func (s *store) add(g dtsGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.groups {
		if o.SubscribeID != g.SubscribeID {
			continue
		}
		n++
		switch {
		case o.Name == g.Name:
			return errorf("FailedOperation", "the consumer group %s already exists in subscription %s", g.Name, g.SubscribeID)
		case o.Account == g.Account && o.Password != g.Password:
			return errorf("InvalidParameterValue", "the account %s already exists in subscription %s with another password (consumer group %s)", g.Account, g.SubscribeID, o.Name)
		}
	}
	if n >= MaxConsumerGroups {
		return errorf("FailedOperation", "the subscription %s already has %d consumer groups; the limit is %d", g.SubscribeID, n, MaxConsumerGroups)
	}
	s.groups = append(s.groups, g)
	return s.saveLocked()
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
