# The demo's services, started in the temporary folder on 127.0.0.1 (sourced
# after demo-env.sh):
#   depot/      micromdm's CA (scepserver ca -init): the SCEP server's depot
#               and the connector's CA folder (PKCS issuance, revocation, CRL)
#   cloud-sim.yaml + state/   the cloud emulator (etc/cloud-sim.example.yaml)
#   ndes/       the state of ndes-crpd and the connector (registration, keys)
#   run/        the Unix sockets

# demo_start_depot: the CA, shared by scepserver and the connector
demo_start_depot() {
	local d=$DEMO_T/depot
	scepserver ca -init -depot "$d" -keySize 2048 -years 5 -organization Contoso \
		-organizational_unit "Contoso Issuing CA" >"$DEMO_T/log/ca-init.out" 2>&1 || return 1
	chmod 0600 "$d/ca.key"
	# scepserver makes index.txt at start; the connector needs it too
	touch "$d/index.txt"
}

# demo_start_cloud: the example tenant, its SCEP URLs pointed at our scepserver
demo_start_cloud() {
	local ports=$DEMO_T/state/ports.json
	DEMO_SCEP_PORT=$(demo_free_port)
	sed -e "s|localhost:8080/|localhost:$DEMO_SCEP_PORT/|" \
		-e "s|127.0.0.1:8080/|127.0.0.1:$DEMO_SCEP_PORT/|" \
		"$DEMO_EXAMPLE" >"$DEMO_T/cloud-sim.yaml"
	printf '%s\n' "$DEMO_EXTRA_PROFILES" |
		sed -e "s|localhost:8080/|localhost:$DEMO_SCEP_PORT/|" >>"$DEMO_T/cloud-sim.yaml"
	"$DEMO_SIM" --check-config "$DEMO_T/cloud-sim.yaml" >"$DEMO_T/log/cloud-check.out" 2>&1 ||
		return 1
	demo_spawn cloud "$DEMO_SIM" serve --config "$DEMO_T/cloud-sim.yaml" \
		--listen-port 0 --admin-port 0
	demo_wait 200 test -s "$ports" || return 1
	DEMO_CLOUD_PORT=$(jq -r .listenPort "$ports")
	DEMO_ADMIN_PORT=$(jq -r .adminPort "$ports")
}

# demo_cloud ARGS...: an admin command of the emulator
demo_cloud() { "$DEMO_SIM" "$@" --admin "http://127.0.0.1:$DEMO_ADMIN_PORT"; }

demo_write_configs() {
	local run=$DEMO_T/run tenant
	tenant=$(sed -n 's/^tenant_id: *//p' "$DEMO_T/cloud-sim.yaml")
	cat >"$DEMO_T/connector.yaml" <<-EOF
	state_dir: $DEMO_T/ndes
	ipc: {socket: $run/connector.sock}
	crp_socket: $run/crp.sock
	ca:
	  name: '$DEMO_CA_NAME'
	  folder: $DEMO_T/depot
	  key_passphrase: ""
	  crl_days: 7
	  templates:
	    - {name: ContosoSCEPSignature, validity: 365d}
	    - {name: ContosoSCEPEncryption, validity: 365d}
	    - {name: ContosoSCEPGeneral, validity: 730d}
	downloads: {interval: 1s, max_requests: 100}
	outbox: {backoff_initial: 1s, backoff_max: 2s}
	events: {sink: journal}
	drain_timeout: 5s
	EOF
	cat >"$DEMO_T/crpd.yaml" <<-EOF
	tenant_id: $tenant
	state_dir: $DEMO_T/ndes
	ipc: {socket: $run/crp.sock}
	connector: {socket: $run/connector.sock, retry_interval: 1s}
	conformance: $DEMO_CONFORMANCE
	paths: {issuing_ca_certs: $DEMO_T/depot/ca.pem}
	events: {sink: journal}
	EOF
	cat >"$DEMO_T/policy.yaml" <<-EOF
	crp_socket: $run/crp.sock
	timeout: 5s
	exec: {state_dir: $DEMO_T/policy-state}
	EOF
}

# demo_register: a registration token from the emulator, ndes-connector register
demo_register() {
	local token
	token=$(demo_cloud token --raw) || return 1
	"$DEMO_CONNECTOR" --config "$DEMO_T/connector.yaml" register \
		--cloud "https://localhost:$DEMO_CLOUD_PORT" --token "$token" \
		--ca-cert "$DEMO_T/state/pki/ca.pem" --name ndes-demo \
		>"$DEMO_T/log/register.out" 2>"$DEMO_T/log/register.err"
}

demo_start_connectord() {
	demo_spawn connectord "$DEMO_CONNECTORD" --config "$DEMO_T/connector.yaml"
	demo_wait 100 test -S "$DEMO_T/run/connector.sock"
}

demo_start_crpd() {
	demo_spawn crpd "$DEMO_CRPD" --config "$DEMO_T/crpd.yaml"
	demo_wait 100 test -S "$DEMO_T/run/crp.sock"
}

# The -csrverifierexec hook: ndes-policy-exec with $TRANSACTIONID set as
# scepserver releases after 2.1.0 do.  Debian's 2.1.0 sets none, and a
# notification without a transaction ID is refused by the cloud, so the
# hook names the transaction by the SHA-256 of the request's public key
# (what ndes-policy-exec itself does without $TRANSACTIONID from feat/policy
# 06b91d3 on; this wrapper is then a no-op).
demo_write_hook() {
	cat >"$DEMO_T/verify-hook" <<-EOF
	#!/bin/sh
	req=\$(mktemp) || exit 1
	trap 'rm -f "\$req"' EXIT
	cat >"\$req"
	: "\${TRANSACTIONID:=\$("$OPENSSL" req -inform DER -in "\$req" -noout -pubkey |
		"$OPENSSL" pkey -pubin -outform DER | sha256sum | cut -c1-64 | tr a-f A-F)}"
	export TRANSACTIONID
	"$DEMO_POLICY_EXEC" <"\$req"
	EOF
	chmod 0755 "$DEMO_T/verify-hook"
}

# scepserver asks ndes-policy-exec before it signs; the watcher tells ndes-crpd
# what scepserver issued.  DEMO_HOOK_DIRECT=1: ndes-policy-exec itself as the
# hook (it names the transaction without $TRANSACTIONID: ndes-crpd does), no
# shell and openssl per request (the fleet test).  DEMO_SCEP_DEBUG=1:
# scepserver -debug (it logs each message type).
demo_start_scep() {
	local hook=$DEMO_T/verify-hook
	demo_write_hook
	[ -z "${DEMO_HOOK_DIRECT:-}" ] || hook=$DEMO_POLICY_EXEC
	NDES_POLICY_CONFIG=$DEMO_T/policy.yaml demo_spawn scepserver scepserver \
		-depot "$DEMO_T/depot" -port "$DEMO_SCEP_PORT" -allowrenew 0 ${DEMO_SCEP_DEBUG:+-debug} \
		-csrverifierexec "$hook"
	demo_wait 100 demo_port_open "$DEMO_SCEP_PORT" || return 1
	NDES_POLICY_CONFIG=$DEMO_T/policy.yaml demo_spawn watcher "$DEMO_POLICY_EXEC" \
		watch-depot --retry 1 "$DEMO_T/depot"
	demo_wait 100 grep -q "watching" "$DEMO_T/log/watcher.err"
}

# demo_start: everything, in order; stops at the first part that fails
demo_start() {
	demo_say "== starting (in $DEMO_T)"
	demo_step "micromdm CA made (depot/ca.pem, ca.key)" demo_start_depot &&
	demo_step "cloud emulator serving the example tenant" demo_start_cloud &&
	demo_ok "cloud on https://localhost:$DEMO_CLOUD_PORT, admin on http://127.0.0.1:$DEMO_ADMIN_PORT" &&
	demo_write_configs &&
	demo_step "connector registered with a token from the emulator" demo_register &&
	demo_step "ndes-connectord running" demo_start_connectord &&
	demo_step "ndes-crpd running" demo_start_crpd &&
	demo_step "scepserver on :$DEMO_SCEP_PORT with ndes-policy-exec and its depot watcher" \
		demo_start_scep &&
	demo_expect 10010 0x00000000 &&
	demo_step "challenge-signing certificates in place for ndes-crpd" demo_wait 100 demo_signing_ready
}

demo_signing_ready() { test -s "$DEMO_T/ndes/signing/signing-certs.pem"; }
