# A tenant for fleets (sourced by tests/e2e-fleet.sh and bench/fleet.sh):
# fleet_tenant N EXAMPLE prints the example tenant (etc/cloud-sim.example.yaml)
# with N Windows devices more, FLEET-00001 ... (IDs
# 00000000-0000-4000-8000-000000000001 ...), all members of "Contoso
# Workstations", so that every profile assigned to that group reaches them.
# The fleet's own profile comes in DEMO_EXTRA_PROFILES.
fleet_tenant() {
	awk -v n="$1" '
		function id(i) { return sprintf("00000000-0000-4000-8000-%012d", i) }
		/^devices:/ { print; for (i = 1; i <= n; i++)
			printf "  - {id: %s, name: FLEET-%05d, platform: windows_10}\n", id(i), i
			next }
		/^    members: \[9f3b6c81-2d5e-4a79-8b04-c1e2f3a4b5d6\]/ {
			ids = ""; for (i = 1; i <= n; i++) ids = ids ", " id(i)
			sub(/\]$/, ids "]") }
		{ print }' "$2"
}
# fleet_profile NAME KEY_SIZE: a device profile for the fleet (YAML item of
# scep_profiles): CN={{DeviceName}}, one DNS SAN, digitalSignature,
# clientAuth, what micromdm's scepserver 2.1.0 issues
fleet_profile() {
	cat <<-EOF
	  - name: $1
	    platform: windows_10
	    certificate_type: device
	    subject_name_format: custom
	    custom_subject: "CN={{DeviceName}},OU=Fleet,O=Contoso,C=US"
	    subject_alternative_names:
	      - {type: dns, value: "{{AzureADDeviceId}}.contoso.com"}
	    validity_days: 365
	    key_usage: [digitalSignature]
	    key_size: $2
	    root_certificate: Contoso Root CA (Windows 10)
	    extended_key_usages: [clientAuth]
	    scep_server_urls: [http://localhost:8080/scep]
	    assignments: [Contoso Workstations]
	EOF
}
