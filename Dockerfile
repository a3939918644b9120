# syntax=docker/dockerfile:1
# A static, non-root Jarvis. The dashboard is embedded; nothing else is needed.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/jarvis-hq/jarvis.Version=${VERSION}" -o /out/jarvis ./cmd/jarvis \
 && mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jarvis /usr/local/bin/jarvis
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV JARVIS_ADDR=0.0.0.0:8080 \
    JARVIS_DATABASE_URL=sqlite:/data/jarvis.db \
    JARVIS_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/jarvis"]
CMD ["serve", "--migrate"]
