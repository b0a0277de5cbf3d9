"""``wgan weights fetch`` against a server on 127.0.0.1: a bad file never lands."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest
from click.testing import CliRunner

from wgan.cli import main
from wgan.errors import WganError
from wgan.features import WEIGHTS_FILE
from wgan.features.download import fetch, fetch_inception


class Server:
    """Serves ``body`` at /weights.pth; ``truncate`` announces the whole length but sends only half."""

    def __init__(self, body: bytes, truncate: bool = False):
        payload = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2] if truncate else payload)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/weights.pth"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(body: bytes, truncate: bool = False) -> Server:
        servers.append(Server(body, truncate))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_good_file_lands_where_inception_features_look(random_inception_weights, serve, cache):
    body = random_inception_weights.read_bytes()
    server = serve(body)
    result = CliRunner().invoke(main, ["weights", "fetch", "inception", "--url", server.url, "--sha256", sha256(body)])
    assert result.exit_code == 0, result.output
    landed = cache / WEIGHTS_FILE
    assert landed.read_bytes() == body
    assert not [p for p in cache.iterdir() if p.name != WEIGHTS_FILE]  # no temporary left beside it
    from wgan.features import get_feature_extractor

    assert get_feature_extractor("inception", device="cpu").weights_path == landed


def test_a_published_prefix_is_enough(serve, tmp_path):
    body = b"some weights"
    dest = fetch(serve(body).url, tmp_path / "w.bin", sha256(body)[:8])
    assert dest.read_bytes() == body


def test_a_wrong_hash_never_lands_and_keeps_what_was_there(serve, tmp_path):
    dest = tmp_path / "w.bin"
    dest.write_bytes(b"the old file")
    server = serve(b"a changed file")
    with pytest.raises(WganError, match="SHA-256 is .*not the published 00000000"):
        fetch(server.url, dest, "0" * 64)
    assert dest.read_bytes() == b"the old file" and sorted(p.name for p in tmp_path.iterdir()) == ["w.bin"]


def test_a_truncated_transfer_never_lands(serve, tmp_path):
    body = bytes(range(256)) * 64
    server = serve(body, truncate=True)
    with pytest.raises(WganError, match="broke off after"):
        fetch(server.url, tmp_path / "w.bin", sha256(body))
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_is_gone_is_one_line(serve, tmp_path):
    server = serve(b"x")
    server.stop()
    result = CliRunner().invoke(main, ["weights", "fetch", "inception", "--url", server.url,
                                       "--out", str(tmp_path / WEIGHTS_FILE)])
    assert result.exit_code == 2 and "cannot download" in result.output
    assert len(result.output.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_a_file_inception_cannot_load_never_lands(serve, tmp_path):
    pytest.importorskip("torch_fidelity")
    import io

    import torch

    buffer = io.BytesIO()
    torch.save({"fc.weight": torch.zeros(2, 2)}, buffer)
    body = buffer.getvalue()
    with pytest.raises(WganError):
        fetch_inception(tmp_path / WEIGHTS_FILE, serve(body).url, sha256(body), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_digest_is_refused(tmp_path):
    with pytest.raises(WganError, match="hex SHA-256"):
        fetch("http://127.0.0.1:9/x", tmp_path / "w.bin", "xyz")
