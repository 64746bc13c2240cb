package keys

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watch says which events in one directory call for a reload.
type watch struct {
	dir   string
	all   bool     // any event (key directory, keyring directory)
	names []string // else only these base names (the hex key file)
}

// relevant reports whether an event on name (a base name) in the directory calls for a reload.
// Names starting with ".." are Kubernetes' atomic-writer links (..data), swapped on every update
// of a mounted secret or config map.
func (w *watch) relevant(name string) bool {
	return w.all || strings.HasPrefix(name, "..") || slices.Contains(w.names, name)
}

// watches lists the directories Run watches, one entry per directory. Files are watched through
// their directory because editors and secret mounts replace a file by renaming another onto it.
func (o Options) watches() []*watch {
	byDir := map[string]*watch{}
	get := func(dir string) *watch {
		dir = filepath.Clean(dir)
		if w, ok := byDir[dir]; ok {
			return w
		}
		w := &watch{dir: dir}
		byDir[dir] = w
		return w
	}
	if o.HexFile != "" {
		w := get(filepath.Dir(o.HexFile))
		w.names = append(w.names, filepath.Base(o.HexFile))
	}
	if o.Dir != "" {
		get(o.Dir).all = true
	}
	if o.Keyring != nil {
		if dir := keyringWatchDir(o.Keyring); dir != "" {
			get(dir).all = true
		}
	}
	out := make([]*watch, 0, len(byDir))
	for _, w := range byDir {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *watch) int { return strings.Compare(a.dir, b.dir) })
	return out
}

// Run follows the key sources until ctx is done. It watches the hex key file's directory, the key
// directory and the keyring directory; after a burst of changes has been quiet for
// Options.Debounce it calls Reload. A failed reload keeps the previous keys (see Reload) and Run
// goes on. Run returns nil once ctx is done and its watcher has stopped, or an error if the
// watches cannot be set up. Only one Run may be active at a time.
func (m *Manager) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("supplier keys: Run is already active")
	}
	defer m.running.Store(false)

	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("supplier keys: start file watcher: %w", err)
	}
	defer w.Close() // waits for the watcher's goroutine
	watches := m.opts.watches()
	byDir := make(map[string]*watch, len(watches))
	for _, wt := range watches {
		if err := w.Add(wt.dir); err != nil {
			return fmt.Errorf("supplier keys: watch %s: %w", wt.dir, err)
		}
		byDir[wt.dir] = wt
	}
	if m.testHookWatching != nil {
		m.testHookWatching()
	}

	timer := time.NewTimer(m.opts.Debounce)
	timer.Stop()
	defer timer.Stop()
	var due <-chan time.Time // non-nil while a reload is pending
	schedule := func() {
		timer.Reset(m.opts.Debounce)
		due = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("supplier keys: file watcher stopped")
			}
			if wt := byDir[filepath.Dir(ev.Name)]; wt != nil && wt.relevant(filepath.Base(ev.Name)) {
				schedule()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("supplier keys: file watcher stopped")
			}
			// An overflow means events were lost; reload to be sure.
			m.log.Warn().Err(err).Msg("supplier key file watcher error; reloading")
			schedule()
		case <-due:
			due = nil
			err := m.Reload() // logged and counted there
			if m.testHookReloaded != nil {
				m.testHookReloaded(err)
			}
		}
	}
}
