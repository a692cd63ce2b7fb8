"""``attune oauth-client create|list|revoke``: partner apps' OAuth clients, in the gateway's
store (the embedded gateway.db under ``--data-dir``, or ``--store``/``ATTUNE_GATEWAY__STORE_URL``),
for operators without the admin API at hand. ``create`` prints the secret once: only its hash
is kept."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from attune.gateway.oauth.clients import check_jwks, client_to_json, new_client
from attune.gateway.oauth.scopes import SCOPES


def register(subparsers: Any) -> None:
    """Add ``oauth-client`` and its subcommands."""
    top = subparsers.add_parser("oauth-client", help="partner apps' OAuth clients")
    commands = top.add_subparsers(dest="oauth_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tenant", required=True, help="the tenant the client acts for")
        p.add_argument(
            "--store",
            dest="store_url",
            help="gateway store URL (ATTUNE_GATEWAY__STORE_URL); default: the embedded one",
        )
        p.add_argument("--data-dir", help="embedded store directory (ATTUNE_GATEWAY__DATA_DIR)")

    create = commands.add_parser("create", help="create a client; prints its secret once")
    common(create)
    create.add_argument(
        "--scopes", required=True, help=f"comma- or space-separated, from: {', '.join(SCOPES)}"
    )
    create.add_argument("--name", default="", help="what the client is (shown to admins)")
    create.add_argument(
        "--jwks", type=Path, help="a JSON file of the client's public keys (private_key_jwt)"
    )
    create.add_argument(
        "--no-secret", action="store_true", help="no client secret: private_key_jwt only"
    )
    listing = commands.add_parser("list", help="the tenant's clients (never their secrets)")
    common(listing)
    revoke = commands.add_parser("revoke", help="revoke a client: it gets no more tokens")
    common(revoke)
    revoke.add_argument("client_id")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; 0, or 2 with one line on stderr."""
    from attune.gateway.settings import GatewaySettings
    from attune.gateway.stores import GatewayStoreError, open_stores

    given = {k: getattr(args, k) for k in ("store_url", "data_dir") if getattr(args, k, None)}
    try:
        settings = GatewaySettings(**given)
        store, statements = open_stores(settings.store_url, settings.data_dir)
    except (GatewayStoreError, ValueError) as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, store)
    except ValueError as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 2
    finally:
        statements.close()
        store.close()


def _run(args: argparse.Namespace, store: Any) -> int:
    if args.oauth_command == "create":
        jwks = None
        if args.jwks is not None:
            try:
                jwks = check_jwks(json.loads(args.jwks.read_text()))
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(f"--jwks: cannot read {args.jwks}: {exc}") from exc
        made = new_client(
            args.tenant,
            args.name,
            args.scopes.replace(",", " "),
            time.time(),
            jwks=jwks,
            with_secret=not args.no_secret,
        )
        store.put_oauth_client(made.client)
        reply = client_to_json(made.client)
        if made.secret is not None:
            reply["client_secret"] = made.secret
        print(json.dumps(reply, indent=2))
        if made.secret is not None:
            print(
                "Keep the client_secret now: it is not stored and cannot be shown again.",
                file=sys.stderr,
            )
        return 0
    if args.oauth_command == "list":
        clients = store.list_oauth_clients(args.tenant)
        print(json.dumps({"clients": [client_to_json(c) for c in clients]}, indent=2))
        return 0
    if not store.revoke_oauth_client(args.tenant, args.client_id, time.time()):
        raise ValueError(f"no active OAuth client {args.client_id!r} in tenant {args.tenant!r}")
    print(json.dumps({"revoked": True, "client_id": args.client_id}))
    return 0
