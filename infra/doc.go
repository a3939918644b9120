// Package infra holds the deployment files' tests, in a module of their own so
// that Helm and the Kubernetes types stay out of the jarvis binary's build:
// the Helm chart rendered and decoded strictly into Kubernetes' types, the
// Compose file loaded as Docker Compose does, the load balancer's and
// Prometheus's configuration checked against it, and the systemd unit.
package infra
