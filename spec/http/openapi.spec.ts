/**
 * withJwtSecurity(): the demo's routing-controllers-openapi document completed from the library's record of guarded
 * actions, validated by a real OpenAPI 3 validator (@seriousme/openapi-schema-validator), and the security it writes
 * for class guards, optional guards, any-of scopes, DPoP and external issuers.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { Get, getMetadataArgsStorage, JsonController, MetadataArgsStorage } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { AllowAnonymous, RequireToken, withJwtSecurity, type OpenApiDocumentLike } from 'routing-controllers-jwt';

type Operation = { security?: Record<string, string[]>[]; responses: Record<string, unknown>; 'x-required-scopes'?: string[] };
type Document = OpenApiDocumentLike & { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

/** A storage holding only `controllers`' metadata: the mocha process has every spec's controllers registered. */
function storageOf(controllers: readonly unknown[]): MetadataArgsStorage {
  const all = getMetadataArgsStorage();
  const targets = new Set(controllers);
  const storage = new MetadataArgsStorage();
  storage.controllers = all.controllers.filter((controller) => targets.has(controller.target));
  storage.actions = all.actions.filter((action) => targets.has(action.target));
  storage.params = all.params.filter((param) => targets.has(param.object.constructor));
  storage.responseHandlers = all.responseHandlers.filter((handler) => targets.has(handler.target));
  return storage;
}

function documentOf(controllers: readonly unknown[], openapi = '3.0.0'): Document {
  const schemas = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' });
  return routingControllersToSpec(storageOf(controllers), {}, { openapi, info: { title: 'spec', version: '1' }, components: { schemas } }) as unknown as Document;
}

async function validate(document: object): Promise<{ valid: boolean; errors?: unknown }> {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  return new Validator().validate(JSON.parse(JSON.stringify(document)) as Record<string, unknown>);
}

@JsonController('/openapi-spec')
@RequireToken({ scope: 'read' })
class OpenApiClassGuardedController {
  @Get('/list')
  list(): unknown[] {
    return [];
  }

  @Get('/write')
  @RequireToken({ anyScope: ['write', 'admin'], location: ['header', 'cookies'], cookieName: 'auth_token' })
  write(): unknown[] {
    return [];
  }

  @Get('/health')
  @AllowAnonymous()
  health(): { ok: true } {
    return { ok: true };
  }
}

@JsonController('/openapi-spec-optional')
class OpenApiOptionalController {
  @Get('/maybe')
  @RequireToken({ optional: true, dpop: 'allowed' })
  maybe(): { ok: true } {
    return { ok: true };
  }
}

describe('withJwtSecurity(): a routing-controllers-openapi document completed from the guarded actions', () => {
  let demo: Document;

  before(() => {
    // The demo's controllers, as built by build:spec; they load the same routing-controllers-jwt (dist) as this spec.
    const controllers = ['admin-controller', 'auth-controller', 'session-controller', 'user-controller'].flatMap((file) =>
      Object.values(createRequire(__filename)(join(__dirname, '..', '..', 'demo', 'controllers', `${file}.js`)) as Record<string, unknown>),
    );
    demo = withJwtSecurity(documentOf(controllers), { dpop: 'allowed' });
  });

  it('the demo\'s completed document is a valid OpenAPI 3 document', async () => {
    const result = await validate(demo);
    expect(result.errors, JSON.stringify(result.errors)).to.equal(undefined);
    expect(result.valid).to.equal(true);
  });

  it('declares bearer JWT, DPoP and each token cookie as security schemes, and the error body schema', () => {
    expect(demo.components.securitySchemes).to.deep.include({ bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
    expect(demo.components.securitySchemes).to.have.property('dpopAuth').that.deep.includes({ type: 'http', scheme: 'DPoP' });
    const cookies = Object.values(demo.components.securitySchemes).filter((scheme) => (scheme as { in?: string }).in === 'cookie');
    expect(cookies.length).to.be.greaterThan(0);
    expect(demo.components.schemas.JwtAuthError).to.deep.include({ required: ['name', 'message', 'code'] });
  });

  it('gives a guarded action its security, its scope and 401/403 answers; leaves an open one alone', () => {
    const audit = demo.paths['/admin/audit'].get;
    expect(audit.security).to.deep.equal([{ bearerAuth: [] }, { dpopAuth: [] }]);
    // OpenAPI 3.0 lets only OAuth 2 requirements list scopes: the scope is named beside them.
    expect(audit['x-required-scopes']).to.deep.equal(['admin']);
    expect(audit.responses).to.have.keys('200', '401', '403');
    expect(audit.responses['401']).to.have.nested.property('headers.WWW-Authenticate');
    const login = demo.paths['/auth/login'].post;
    expect(login).to.not.have.property('security');
    expect(login.responses).to.not.have.property('401');
  });

  it('a refresh token in a cookie: the cookie scheme, and 403 for the CSRF check', () => {
    const refresh = demo.paths['/auth/session/refresh'].post;
    expect(refresh.security).to.have.length(1);
    const [name] = Object.keys(refresh.security?.[0] ?? {});
    expect(demo.components.securitySchemes[name]).to.deep.include({ type: 'apiKey', in: 'cookie' });
    expect(refresh.responses).to.have.property('403');
  });

  it('class and method guards together: every combination, scopes merged; @AllowAnonymous actions stay open (OpenAPI 3.1 scopes)', async () => {
    const document = withJwtSecurity(documentOf([OpenApiClassGuardedController, OpenApiOptionalController], '3.1.0'), {
      issuers: { corporateSso: { clientCredentials: { tokenUrl: 'https://sso.example/token', scopes: { read: 'Read' } } } },
    });
    const result = await validate(document);
    expect(result.errors, JSON.stringify(result.errors)).to.equal(undefined);
    expect(document.paths['/openapi-spec/list'].get.security).to.deep.equal([{ bearerAuth: ['read'] }, { corporateSso: ['read'] }]);
    // The method's guard is recorded first (method decorators run before class decorators): its scopes lead.
    expect(document.paths['/openapi-spec/write'].get.security).to.deep.equal([
      { bearerAuth: ['write', 'read'] },
      { corporateSso: ['write', 'read'] },
      { cookieAuth_auth_token: ['write'], bearerAuth: ['read'] },
      { cookieAuth_auth_token: ['write'], corporateSso: ['read'] },
      { bearerAuth: ['admin', 'read'] },
      { corporateSso: ['admin', 'read'] },
      { cookieAuth_auth_token: ['admin'], bearerAuth: ['read'] },
      { cookieAuth_auth_token: ['admin'], corporateSso: ['read'] },
    ]);
    expect(document.paths['/openapi-spec/health'].get).to.not.have.property('security');
    expect(document.paths['/openapi-spec-optional/maybe'].get.security).to.deep.equal([{ bearerAuth: [] }, { dpopAuth: [] }, { corporateSso: [] }, {}]);
    expect(document.paths['/openapi-spec-optional/maybe'].get.responses).to.not.have.property('403');
    expect(document.components.securitySchemes.corporateSso).to.deep.include({ type: 'oauth2' });
  });

  it('does not change the document it is given', () => {
    const original = documentOf([OpenApiOptionalController]);
    const before = JSON.stringify(original);
    withJwtSecurity(original);
    expect(JSON.stringify(original)).to.equal(before);
  });
});
