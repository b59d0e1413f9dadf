"""A SAML 2.0 identity provider for the tests, built on pysaml2 (not this product's code): it reads
the product's AuthnRequest (HTTP-Redirect binding), shows a sign-in page asking for an email address,
and posts back a signed Response (HTTP-POST binding) whose assertion names that address, as Okta or
Entra ID would. Its key and certificate are made at test time (``make_key_and_cert``).

Run as a process on loopback by the browser tests (``python -m tests.saml_idp --port … --sp-entity-id …
--acs …``); the unit tests call ``idp_server`` and ``signed_response`` in-process to craft answers."""

import argparse
import base64
import datetime as dt
import html
import sys
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

XMLSEC1 = "/usr/bin/xmlsec1"  # Debian's xmlsec1 (pysaml2 signs with it); scripts/test.sh installs it
# SHA-256, as Okta and Entra ID sign; the product refuses SHA-1 signatures (python3-saml's default).
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{acs}" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"""


def make_key_and_cert(folder: Path, common_name: str = "test identity provider") -> tuple[Path, Path]:
    """A fresh 2048-bit RSA key and a self-signed certificate valid for a day, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / "idp.key", folder / "idp.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def urls(base: str) -> dict[str, str]:
    """The provider's entity id, single sign-on URL and metadata URL under ``base``."""
    return {
        "entity_id": f"{base}/metadata",
        "sso_url": f"{base}/sso/redirect",
        "metadata_url": f"{base}/metadata",
    }


def idp_server(base: str, key: Path, cert: Path, sp_entity_id: str, acs: str) -> Server:
    """pysaml2's IdP at ``base``, knowing one service provider (the product) by its metadata."""
    config = IdPConfig()
    config.load(
        {
            "entityid": urls(base)["entity_id"],
            "service": {
                "idp": {
                    "name": "Test identity provider",
                    "endpoints": {"single_sign_on_service": [(urls(base)["sso_url"], BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                }
            },
            "key_file": str(key),
            "cert_file": str(cert),
            "xmlsec_binary": XMLSEC1,
            "metadata": {
                "inline": [SP_METADATA.format(entity_id=html.escape(sp_entity_id), acs=html.escape(acs))]
            },
        }
    )
    return Server(config=config)


def signed_response(server: Server, saml_request: str, email: str) -> tuple[str, str]:
    """The base64 Response to an AuthnRequest (as the Redirect binding carries it) naming ``email``,
    response and assertion signed; and the ACS address it goes to, checked against the metadata."""
    request = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
    sp_entity_id = request.issuer.text
    registered = [
        acs["location"] for acs in server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
    ]
    if request.assertion_consumer_service_url not in registered:
        raise ValueError(f"ACS {request.assertion_consumer_service_url} is not registered for {sp_entity_id}")
    response = server.create_authn_response(
        identity={"mail": [email], "givenName": ["Test"], "sn": ["Person"]},
        in_response_to=request.id,
        destination=request.assertion_consumer_service_url,
        sp_entity_id=sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        authn={"class_ref": PASSWORD_CLASS, "authn_auth": server.config.entityid},
        sign_response=True,
        sign_assertion=True,
        sign_alg=RSA_SHA256,
        digest_alg=SHA256,
    )
    return base64.b64encode(str(response).encode()).decode(), request.assertion_consumer_service_url


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>{body}</body></html>"""


def app(server: Server, metadata: str):
    """The WSGI application: /metadata, the sign-in page at /sso/redirect, its form at /sso/login."""

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [metadata.encode()]
        if path == "/sso/redirect":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            saml_request = query.get("SAMLRequest", [""])[0]
            relay = query.get("RelayState", [""])[0]
            server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)  # refuse a broken request now
            body = (
                '<form method="post" action="/sso/login">'
                f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
                '<label for="email">Email</label> <input id="email" name="email" type="email">'
                '<button type="submit">Sign in</button></form>'
            )
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [PAGE.format(body=body).encode()]
        if path == "/sso/login" and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = parse_qs(environ["wsgi.input"].read(length).decode())
            response, acs = signed_response(server, form["SAMLRequest"][0], form["email"][0])
            relay = form.get("RelayState", [""])[0]
            body = (
                f'<form method="post" action="{html.escape(acs)}">'
                f'<input type="hidden" name="SAMLResponse" value="{html.escape(response)}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
                '<button type="submit">Continue</button></form>'
            )
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [PAGE.format(body=body).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("idp: " + format % args + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--sp-entity-id", required=True)
    parser.add_argument("--acs", required=True)
    args = parser.parse_args(argv)
    base = f"http://127.0.0.1:{args.port}"
    server = idp_server(base, args.key, args.cert, args.sp_entity_id, args.acs)
    from saml2.metadata import create_metadata_string

    metadata = create_metadata_string(None, server.config, valid=1, sign=False).decode()
    httpd = make_server("127.0.0.1", args.port, app(server, metadata), handler_class=QuietHandler)
    print(f"identity provider on {base}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
