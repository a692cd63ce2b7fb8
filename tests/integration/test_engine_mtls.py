"""mTLS between the gateway and the engine (issue 16 part 1, optional): an engine started
with ``auth.tls_cert_file``/``tls_key_file``/``tls_client_ca_file`` serves only clients whose
certificate that CA signed. Certificates are made by the test (cryptography)."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.auth_setup import build_authenticator, server_credentials
from attune.engine.grpc.server import build_engine, start_server
from attune.engine.settings import AuthSettings
from attune.engine.v1 import course_pb2, course_pb2_grpc

pytestmark = pytest.mark.integration
META = (("authorization", "Bearer dev-token"),)


def _cert(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pem(thing: x509.Certificate | ec.EllipticCurvePrivateKey) -> bytes:
    if isinstance(thing, x509.Certificate):
        return thing.public_bytes(serialization.Encoding.PEM)
    return thing.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pair(
    name: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _pem(key), _pem(_cert(name, key, ca, ca=False))


def _ca(name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _cert(name, key, None, ca=True), key


async def test_the_engine_serves_only_clients_with_a_certificate_of_its_ca(tmp_path: Path) -> None:
    ca, other_ca = _ca("attune test CA"), _ca("someone else's CA")
    server_key, server_cert = _pair("engine", ca)
    (tmp_path / "server.key").write_bytes(server_key)
    (tmp_path / "server.crt").write_bytes(server_cert)
    (tmp_path / "ca.crt").write_bytes(_pem(ca[0]))
    settings = AuthSettings(
        tls_cert_file=tmp_path / "server.crt",
        tls_key_file=tmp_path / "server.key",
        tls_client_ca_file=tmp_path / "ca.crt",
    )
    engine = build_engine(SqliteStore.open(tmp_path / "attune.db"))
    running = await start_server(
        engine, build_authenticator(settings), "127.0.0.1", 0, server_credentials(settings)
    )
    target = f"127.0.0.1:{running.port}"
    try:
        good_key, good_cert = _pair("gateway", ca)
        creds = grpc.ssl_channel_credentials(_pem(ca[0]), good_key, good_cert)
        async with grpc.aio.secure_channel(target, creds) as channel:
            stub = course_pb2_grpc.CourseServiceStub(channel)
            listed = await stub.ListCourses(course_pb2.ListCoursesRequest(), metadata=META)
            assert list(listed.courses) == []

        refused = [
            grpc.ssl_channel_credentials(_pem(ca[0])),  # no client certificate
            grpc.ssl_channel_credentials(_pem(ca[0]), *_pair("intruder", other_ca)),
        ]
        for creds in refused:
            async with grpc.aio.secure_channel(target, creds) as channel:
                stub = course_pb2_grpc.CourseServiceStub(channel)
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await stub.ListCourses(
                        course_pb2.ListCoursesRequest(), metadata=META, timeout=5
                    )
                assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        async with grpc.aio.insecure_channel(target) as channel:  # plaintext is not served
            stub = course_pb2_grpc.CourseServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.ListCourses(course_pb2.ListCoursesRequest(), metadata=META, timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await running.stop(0.5)
