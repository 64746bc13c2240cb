package convert

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// pkRPCTypes maps poktroll's rpc_type_service_configs keys (matched case-insensitively, as
// sharedtypes.GetRPCTypeFromConfig does) to our backend kinds.
var pkRPCTypes = map[string]config.RPCType{
	"grpc":      config.RPCGRPC,
	"websocket": config.RPCWebSocket,
	"json_rpc":  config.RPCJSONRPC,
	"rest":      config.RPCREST,
	"comet_bft": config.RPCCometBFT,
}

// defaultSlots is where poktroll's default service_config goes when its rpc type has no
// backend of its own: the first free HTTP kind, named as default_backend, so every Rpc-Type
// poktroll answered with the default is answered with it here.
var defaultSlots = []config.RPCType{config.RPCJSONRPC, config.RPCREST, config.RPCCometBFT, config.RPCGRPC}

// services converts the suppliers list. It returns the listen address (the first supplier's)
// and one service per service id.
func (c *pkConv) services(defSize config.ByteSize) (string, map[string]*serviceOut, error) {
	out := map[string]*serviceOut{}
	serverSize := map[string]config.ByteSize{} // listen_url → its limit, set by its first supplier
	listen := ""
	for i, s := range c.in.Suppliers {
		at := fmt.Sprintf("suppliers[%d]", i)
		if s.ServiceID == "" {
			return "", nil, fmt.Errorf("%s.service_id: required (poktroll refuses this too): %w", at, ErrNotConvertible)
		}
		if _, dup := out[s.ServiceID]; dup {
			return "", nil, fmt.Errorf("%s.service_id: %q is configured twice (poktroll refuses this too): %w", at, s.ServiceID, ErrNotConvertible)
		}
		addr, err := listenAddr(s.ListenURL)
		if err != nil {
			return "", nil, fmt.Errorf("%s.listen_url: %w: %w", at, err, ErrNotConvertible)
		}
		switch {
		case listen == "":
			listen = addr
		case addr != listen:
			c.skip.add(at+".listen_url", "one listen_addr serves every service here: %s moves from %s to %s; keep the staked endpoint URL reaching it", s.ServiceID, addr, listen)
		}
		// poktroll sizes a server by the first supplier on its listen_url and ignores the
		// max_body_size of the others (servers_config_hydrator.go); the conversion keeps the
		// limit poktroll enforced.
		size, known := serverSize[s.ListenURL]
		switch {
		case !known && s.MaxBodySize == "":
			size = defSize
			serverSize[s.ListenURL] = size
		case !known:
			if size, err = c.size(at+".max_body_size", s.MaxBodySize, ""); err != nil {
				return "", nil, err
			}
			serverSize[s.ListenURL] = size
		case s.MaxBodySize != "":
			c.skip.add(at+".max_body_size", "ignored by poktroll (the first supplier on %s sets the limit); kept at its %s", s.ListenURL, size)
		}
		svc, err := c.service(at, s)
		if err != nil {
			return "", nil, err
		}
		if size != defSize {
			svc.MaxBodyBytes = size.String()
		}
		out[s.ServiceID] = svc
		if s.XForwardedHostLookup {
			c.skip.add(at+".x_forwarded_host_lookup", "not needed: relays are routed by the service id of the signed request, not by Host")
		}
	}
	return listen, out, nil
}

// service converts one supplier entry: its typed backends, then its default service_config.
func (c *pkConv) service(at string, s pkSupplier) (*serviceOut, error) {
	timeout := s.RequestTimeoutSeconds
	if timeout == 0 {
		timeout = c.in.DefaultRequestTimeoutSeconds
	}
	if timeout == 0 {
		timeout = pkDefaultTimeoutSeconds
	}
	d := (time.Duration(timeout) * time.Second).String()
	svc := &serviceOut{Backends: map[string]*backendOut{}}
	typed := map[config.RPCType]pkService{}
	for _, k := range sortedKeys(s.RPCTypeServiceConfigs) {
		t, ok := pkRPCTypes[strings.ToLower(k)]
		if !ok {
			return nil, fmt.Errorf("%s.rpc_type_service_configs.%s: unknown rpc type (poktroll refuses it too): %w", at, k, ErrNotConvertible)
		}
		if _, dup := typed[t]; dup {
			return nil, fmt.Errorf("%s.rpc_type_service_configs.%s: rpc type given twice: %w", at, k, ErrNotConvertible)
		}
		sc := s.RPCTypeServiceConfigs[k]
		key := at + ".rpc_type_service_configs." + k
		if err := checkScheme(key, sc.BackendURL, t); err != nil {
			return nil, err
		}
		typed[t] = sc
		svc.Backends[string(t)] = c.backend(key, sc, d)
	}
	def := s.ServiceConfig
	key := at + ".service_config"
	if def.BackendURL == "" {
		return nil, fmt.Errorf("%s.backend_url: required (poktroll refuses this too): %w", key, ErrNotConvertible)
	}
	u, err := url.Parse(def.BackendURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s.backend_url: want an absolute URL: %w", key, ErrNotConvertible)
	}
	if u.Scheme == "ws" || u.Scheme == "wss" {
		// A WebSocket default answers WebSocket relays only; HTTP relays cannot reach it.
		if have, ok := typed[config.RPCWebSocket]; ok && !reflect.DeepEqual(have, def) {
			c.skip.add(key, "not converted: rpc_type_service_configs.websocket already names this service's websocket backend")
			return svc, nil
		}
		svc.Backends[string(config.RPCWebSocket)] = c.backend(key, def, d)
		return svc, nil
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s.backend_url: scheme %q (poktroll refuses it too): %w", key, u.Scheme, ErrNotConvertible)
	}
	for _, t := range defaultSlots { // the default equals a typed backend: name it
		if have, ok := typed[t]; ok && reflect.DeepEqual(have, def) {
			svc.DefaultBackend = string(t)
			return svc, nil
		}
	}
	for _, t := range defaultSlots {
		if _, taken := typed[t]; !taken {
			svc.Backends[string(t)] = c.backend(key, def, d)
			svc.DefaultBackend = string(t)
			if len(typed) > 0 {
				c.skip.add(key, "became backends.%s and default_backend: poktroll answered with it every Rpc-Type without its own config (and relays with none); check that is what %s should get", t, t)
			}
			return svc, nil
		}
	}
	c.skip.add(key, "not converted: every HTTP rpc type has its own backend, so poktroll used this one only for relays with no or an unknown Rpc-Type; those go to the jsonrpc backend here")
	svc.DefaultBackend = string(config.RPCJSONRPC)
	return svc, nil
}

// backend converts one poktroll service config.
func (c *pkConv) backend(key string, sc pkService, timeout string) *backendOut {
	b := &backendOut{URL: sc.BackendURL, Timeout: timeout}
	if len(sc.Headers) > 0 {
		b.Headers = map[string]string{}
		for k, v := range sc.Headers {
			b.Headers[k] = v
		}
	}
	switch a := sc.Authentication; {
	case a.Username != "":
		b.BasicAuth = &basicAuthOut{Username: a.Username, Password: a.Password}
	case a.Password != "":
		// poktroll sends basic auth with an empty user; basic_auth needs one, a header does not.
		if b.Headers == nil {
			b.Headers = map[string]string{}
		}
		b.Headers["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(":"+a.Password))
	}
	if !sc.ForwardPocketHeaders && c.present[key+".forward_pocket_headers"] {
		c.skip.add(key+".forward_pocket_headers", "always on here: the backend gets Pocket-Supplier, Pocket-Service, Pocket-Application and the session headers")
	}
	return b
}

// checkScheme refuses a typed backend whose URL our backend kind cannot call.
func checkScheme(key, raw string, t config.RPCType) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s.backend_url: want an absolute URL, got %q: %w", key, raw, ErrNotConvertible)
	}
	ok := u.Scheme == "http" || u.Scheme == "https"
	if t == config.RPCWebSocket {
		ok = ok || u.Scheme == "ws" || u.Scheme == "wss"
	}
	if !ok {
		return fmt.Errorf("%s.backend_url: scheme %q cannot serve %s relays: %w", key, u.Scheme, t, ErrNotConvertible)
	}
	return nil
}

// listenAddr turns poktroll's listen_url (http://host:port) into host:port.
func listenAddr(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("want http://host:port, got %q", raw)
	}
	if u.Scheme != "http" && u.Scheme != "ws" {
		return "", fmt.Errorf("scheme %q (poktroll serves http only)", u.Scheme)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80"), nil
	}
	return u.Host, nil
}

var ramSize = regexp.MustCompile(`^(?i)(\d+(?:\.\d+)?) ?(?:([kmgtp])(?:i?b)?|b)?$`)

// ramInBytes reads sizes as docker/go-units' RAMInBytes does (poktroll's parser): a decimal
// number and an optional k/m/g/t/p unit, optionally followed by "b" or "ib", all powers of 1024.
func ramInBytes(s string) (int64, error) {
	m := ramSize.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mult := map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}[strings.ToLower(m[2])]
	return int64(f * mult), nil
}
