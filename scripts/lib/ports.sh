# TCP ports on 127.0.0.1 for the demo and the tests (sourced).

# Whether something listens on port $1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free port below the kernel's ephemeral range, which the daemons started
# meanwhile draw their own ports from (a port drawn from inside it was taken
# before scepserver could bind it).
free_port() {
	local p low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	while :; do
		p=$((10000 + RANDOM % (low - 10000)))
		port_open "$p" || { echo "$p"; return; }
	done
}
