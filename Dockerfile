# SHM as a container: the single executable, built with deno compile, on a
# small base without a shell, run as a non-root user.
#   docker build -t shm .
#   docker run -p 8080:8080 -v shm-data:/data -e SHM_ADMIN_TOKEN=... shm

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY deno.json deno.lock ./
COPY sdk/ sdk/
RUN deno install --frozen
COPY server/ server/
COPY islands/ islands/
COPY shared/ shared/
COPY migrations/ migrations/
RUN deno task compile && ./dist/shm version
# An empty data folder, to be owned by the runtime user (the base has no shell to make it).
RUN mkdir -p /empty-data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/shm /usr/local/bin/shm
COPY --from=build --chown=65532:65532 /empty-data /data
ENV SHM_DATA_DIR=/data \
    SHM_HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# The base has no curl: the binary probes its own /api/v1/readyz, healthy while its database
# answers (/api/v1/healthcheck, without --ready, is the liveness check).
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/shm", "healthcheck", "--ready"]
ENTRYPOINT ["/usr/local/bin/shm"]
CMD ["serve"]
