package convert

// The input types below hold the keys of poktroll v0.1.35's relay miner config
// (pkg/relayer/config/types.go, YAMLRelayMinerConfig), read the way poktroll reads them:
// unknown keys are not an error there, so they are only reported here.

type pkConfig struct {
	DefaultSigningKeyNames            []string     `yaml:"default_signing_key_names"`
	DefaultRequestTimeoutSeconds      uint64       `yaml:"default_request_timeout_seconds"`
	DefaultMaxBodySize                string       `yaml:"default_max_body_size"`
	Metrics                           pkAddr       `yaml:"metrics"`
	PocketNode                        pkPocketNode `yaml:"pocket_node"`
	Pprof                             pkAddr       `yaml:"pprof"`
	SmtStorePath                      string       `yaml:"smt_store_path"`
	DisableSMTPersistence             bool         `yaml:"disable_smt_persistence"`
	Suppliers                         []pkSupplier `yaml:"suppliers"`
	Ping                              pkAddr       `yaml:"ping"`
	EnableOverServicing               bool         `yaml:"enable_over_servicing"`
	EnableEagerRelayRequestValidation bool         `yaml:"enable_eager_relay_request_validation"`
	ServedRelaysBufferSize            uint64       `yaml:"served_relays_buffer_size"`
	MiningPipelineBufferSize          uint64       `yaml:"mining_pipeline_buffer_size"`
	MiningWorkers                     uint64       `yaml:"mining_workers"`
}

type pkAddr struct {
	Enabled bool   `yaml:"enabled"`
	Addr    string `yaml:"addr"`
}

type pkPocketNode struct {
	QueryNodeRPCURL  string `yaml:"query_node_rpc_url"`
	QueryNodeGRPCURL string `yaml:"query_node_grpc_url"`
	TxNodeRPCURL     string `yaml:"tx_node_rpc_url"`
}

type pkSupplier struct {
	ListenURL             string               `yaml:"listen_url"`
	ServiceConfig         pkService            `yaml:"service_config"`
	RPCTypeServiceConfigs map[string]pkService `yaml:"rpc_type_service_configs"`
	ServiceID             string               `yaml:"service_id"`
	SigningKeyNames       []string             `yaml:"signing_key_names"`
	RequestTimeoutSeconds uint64               `yaml:"request_timeout_seconds"`
	MaxBodySize           string               `yaml:"max_body_size"`
	XForwardedHostLookup  bool                 `yaml:"x_forwarded_host_lookup"`
}

type pkService struct {
	Authentication       pkAuth            `yaml:"authentication"`
	BackendURL           string            `yaml:"backend_url"`
	Headers              map[string]string `yaml:"headers"`
	ForwardPocketHeaders bool              `yaml:"forward_pocket_headers"`
}

type pkAuth struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// shape describes which keys a YAML subtree may hold: named fields, or any key/index whose
// value has the shape each; a nil shape is a leaf.
type shape struct {
	fields map[string]*shape
	each   *shape
}

var (
	pkAddrShape    = &shape{fields: map[string]*shape{"enabled": nil, "addr": nil}}
	pkServiceShape = &shape{fields: map[string]*shape{
		"authentication":         {fields: map[string]*shape{"username": nil, "password": nil}},
		"backend_url":            nil,
		"headers":                {each: nil},
		"forward_pocket_headers": nil,
	}}
	pkShape = &shape{fields: map[string]*shape{
		"default_signing_key_names":       nil,
		"default_request_timeout_seconds": nil,
		"default_max_body_size":           nil,
		"metrics":                         pkAddrShape,
		"pocket_node": {fields: map[string]*shape{
			"query_node_rpc_url": nil, "query_node_grpc_url": nil, "tx_node_rpc_url": nil,
		}},
		"pprof":                                 pkAddrShape,
		"smt_store_path":                        nil,
		"disable_smt_persistence":               nil,
		"ping":                                  pkAddrShape,
		"enable_over_servicing":                 nil,
		"enable_eager_relay_request_validation": nil,
		"served_relays_buffer_size":             nil,
		"mining_pipeline_buffer_size":           nil,
		"mining_workers":                        nil,
		"suppliers": {each: &shape{fields: map[string]*shape{
			"listen_url":               nil,
			"service_config":           pkServiceShape,
			"rpc_type_service_configs": {each: pkServiceShape},
			"service_id":               nil,
			"signing_key_names":        nil,
			"request_timeout_seconds":  nil,
			"max_body_size":            nil,
			"x_forwarded_host_lookup":  nil,
		}}},
	}}
)
