// A real, independent OpenID Connect provider for the end-to-end tests: node-oidc-provider
// (https://github.com/panva/node-oidc-provider) on loopback, with one test account, the shop
// registered as a confidential client, and the library's development login form.
//
// Playwright starts it (playwright.config.ts) and points ONE institution of the shop at it
// (PLAY, through SHOP_OIDC_PLAY_*); the others keep S-360 as their identity provider.
//
//   OIDC_PORT       port to listen on (127.0.0.1), default 3302 (Playwright: the shop's + 100)
//   SHOP_E2E_PORT   the shop's port, for its redirect URIs (http://play.localhost:PORT/...)
//
// The account: login `carla` (any password: development interactions), e-mail
// carla@example.com (verified), Carla Rossi. Not a production configuration: development
// signing keys, cookie keys in the source, no TLS.

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 3302);
const shopPort = Number(process.env.SHOP_E2E_PORT ?? 3100);
const issuer = `http://127.0.0.1:${port}`;

export const ACCOUNT = {
  login: 'carla',
  email: 'carla@example.com',
  given_name: 'Carla',
  family_name: 'Rossi',
};

const shopOrigins = ['play.localhost', '127.0.0.1', 'localhost'].map(
  (h) => `http://${h}:${shopPort}`,
);

const configuration = {
  clients: [
    {
      client_id: 'ticket-shop',
      client_secret: 'ticket-shop-e2e-secret',
      redirect_uris: shopOrigins.map((o) => `${o}/auth/callback`),
      post_logout_redirect_uris: shopOrigins.flatMap((o) => [`${o}/`, `${o}/account/deleted`]),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  async findAccount(ctx, id) {
    if (id !== ACCOUNT.login) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: ACCOUNT.email,
          email_verified: true,
          given_name: ACCOUNT.given_name,
          family_name: ACCOUNT.family_name,
          name: `${ACCOUNT.given_name} ${ACCOUNT.family_name}`,
          locale: 'en',
        };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'name', 'locale'],
  },
  // the shop is first-party: no consent screen
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['e2e-only-cookie-key-not-a-secret'] },
  ttl: { IdToken: 300, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600 },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => console.error('oidc-provider error:', err));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer} (client ticket-shop, account ${ACCOUNT.login})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
