// SimpleSAMLphp (Debian's `simplesamlphp`) as a company's SAML identity provider, in an
// Apache instance of its own on a free loopback port (/work/shared/PEERS.md): a generated
// config folder (SIMPLESAMLPHP_CONFIG_DIR), an exampleauth:UserPass source with the
// test's users, a signing key made with openssl. Gatehouse's SP metadata is converted
// with SimpleSAMLphp's own SAMLParser (what its metadata converter uses) and takes effect
// at once. /etc/simplesamlphp and the system Apache are left untouched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';
import { until } from './until.ts';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const SSP = '/usr/share/simplesamlphp';

export interface SamlUser {
  username: string;
  password: string;
  attributes: Record<string, string>;
}

export interface SimpleSamlPhp {
  baseUrl: string;
  /** The IdP's metadata XML, to paste into Gatehouse. */
  metadataXml: string;
  /** Registers Gatehouse's SP metadata (XML) with the IdP. */
  trustServiceProvider(spMetadataXml: string): void;
  close(): Promise<void>;
}

/** What is missing to run it, or undefined (the test fails saying what to install). */
export function simpleSamlPhpMissing(): string | undefined {
  const present = existsSync(APACHE) && existsSync(`${MODULES}/libphp8.2.so`) && existsSync(`${SSP}/www/index.php`);
  const xml = spawnSync('php', ['-r', 'exit(class_exists("DOMDocument") && function_exists("mb_strlen") ? 0 : 1);']).status === 0;
  return present && xml ? undefined : 'apt-get install -y simplesamlphp php8.2-xml php8.2-mbstring libapache2-mod-php8.2 apache2';
}

const php = (value: unknown): string => JSON.stringify(value).replace(/\$/g, '\\$');

function giveToWebServer(dir: string) {
  if (process.getuid?.() !== 0) return;
  const www = spawnSync('id', ['-u', 'www-data'], { encoding: 'utf8' });
  const uid = Number(www.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).stdout.trim());
  const walk = (at: string) => {
    chownSync(at, uid, gid);
    if (statSync(at).isDirectory()) for (const name of readdirSync(at)) walk(path.join(at, name));
  };
  walk(dir);
}

export async function startSimpleSamlPhp(users: SamlUser[], options: { authnContextClassRef?: string } = {}): Promise<SimpleSamlPhp> {
  const missing = simpleSamlPhpMissing();
  if (missing) throw new Error(`SimpleSAMLphp is not installed: ${missing} (.ci/run installs it for the suite)`);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}/simplesaml/`;
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-simplesamlphp-'));
  chmodSync(dir, 0o755);
  for (const sub of ['config', 'metadata', 'metadata/sp', 'cert', 'tmp', 'data', 'log', 'sessions', 'www']) mkdirSync(path.join(dir, sub), { recursive: true });
  spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/cert/idp.key`, '-out', `${dir}/cert/idp.crt`, '-days', '2', '-subj', '/CN=SimpleSAMLphp test IdP'], { stdio: 'ignore' });

  // The package's defaults, with what this instance needs on top.
  writeFileSync(
    `${dir}/config/config.php`,
    `<?php
require '/etc/simplesamlphp/config.php';
$config = array_merge($config, [
  'baseurlpath' => ${php(baseUrl)},
  'certdir' => ${php(`${dir}/cert/`)},
  'loggingdir' => ${php(`${dir}/log/`)},
  'datadir' => ${php(`${dir}/data/`)},
  'tempdir' => ${php(`${dir}/tmp`)},
  'metadatadir' => ${php(`${dir}/metadata/`)},
  'secretsalt' => 'gatehouse-test-salt-${port}',
  'auth.adminpassword' => 'gatehouse-test-admin-${port}',
  'admin.checkforupdates' => false,
  'timezone' => 'UTC',
  // The Twig pages: plain labelled fields, no script moving the focus while one types.
  'usenewui' => true,
  'enable.saml20-idp' => true,
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
  'logging.handler' => 'file',
  'logging.level' => SimpleSAML\\Logger::WARNING,
  'store.type' => 'phpsession',
  'session.phpsession.savepath' => ${php(`${dir}/sessions`)},
  'session.cookie.secure' => false,
  // Its default, SameSite=None, needs Secure; over plain http Chromium would drop the cookie.
  'session.cookie.samesite' => 'Lax',
  'trusted.url.domains' => ['127.0.0.1', 'localhost'],
  'metadata.sources' => [['type' => 'flatfile']],
]);
`,
  );
  const sources = Object.fromEntries(users.map((u) => [`${u.username}:${u.password}`, Object.fromEntries(Object.entries(u.attributes).map(([k, v]) => [k, [v]]))]));
  writeFileSync(
    `${dir}/config/authsources.php`,
    `<?php
$config = ['admin' => ['core:AdminPassword'], 'example-userpass' => array_merge(['exampleauth:UserPass'], json_decode(${php(JSON.stringify(sources))}, true))];
`,
  );
  writeFileSync(
    `${dir}/metadata/saml20-idp-hosted.php`,
    `<?php
$metadata['__DYNAMIC:1__'] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'example-userpass',
  'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
  // How the user authenticated, as the IdP states it (AuthnContextClassRef), when the test says.
  ${options.authnContextClassRef ? `'authproc' => [10 => ['class' => 'core:PHP', 'code' => ${php(`$state['saml:AuthnContextClassRef'] = '${options.authnContextClassRef}';`)}]],` : ''}
];
`,
  );
  writeFileSync(`${dir}/metadata/saml20-sp-remote.php`, `<?php\nforeach (glob(__DIR__ . '/sp/*.php') as $file) include $file;\n`);

  const runAs = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  writeFileSync(
    `${dir}/httpd.conf`,
    `ServerRoot ${dir}
ServerName 127.0.0.1
DefaultRuntimeDir ${dir}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn
Listen 127.0.0.1:${port}
${runAs}LoadModule mpm_prefork_module ${MODULES}/mod_mpm_prefork.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule alias_module ${MODULES}/mod_alias.so
LoadModule mime_module ${MODULES}/mod_mime.so
LoadModule dir_module ${MODULES}/mod_dir.so
LoadModule env_module ${MODULES}/mod_env.so
LoadModule php_module ${MODULES}/libphp8.2.so
TypesConfig /etc/mime.types
StartServers 1
MinSpareServers 1
MaxSpareServers 3
DocumentRoot ${dir}/www
Alias /simplesaml ${SSP}/www
SetEnv SIMPLESAMLPHP_CONFIG_DIR ${dir}/config
<Directory ${SSP}/www>
  Require all granted
  DirectoryIndex index.php
</Directory>
<FilesMatch "\\.php$">
  SetHandler application/x-httpd-php
</FilesMatch>
`,
  );
  giveToWebServer(dir);

  // A process group of its own: Apache signals its whole group when it stops.
  const apache: ChildProcess = spawn(APACHE, ['-f', `${dir}/httpd.conf`, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  apache.stdout?.on('data', (chunk) => (output += chunk));
  apache.stderr?.on('data', (chunk) => (output += chunk));
  const log = () => `${output}\n${existsSync(`${dir}/error.log`) ? readFileSync(`${dir}/error.log`, 'utf8') : ''}`;
  const metadataUrl = `${baseUrl}saml2/idp/metadata.php`;
  let metadataXml = '';
  const close = async () => {
    if (apache.exitCode === null && apache.pid) {
      const exited = new Promise((resolve) => apache.once('exit', resolve));
      process.kill(-apache.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (apache.exitCode !== null) throw new Error(`Apache stopped (${apache.exitCode}): ${log()}`);
        const response = await fetch(metadataUrl).catch(() => undefined);
        if (!response) return false;
        const text = await response.text();
        if (response.status !== 200) throw new Error(`SimpleSAMLphp metadata: ${response.status} ${text.slice(0, 2000)} ${log()}`);
        metadataXml = text;
        return true;
      },
      'SimpleSAMLphp to serve its metadata',
      60_000,
    );
  } catch (error) {
    await close();
    throw error;
  }

  let count = 0;
  return {
    baseUrl,
    metadataXml,
    trustServiceProvider(spMetadataXml) {
      const xmlFile = `${dir}/tmp/sp-${++count}.xml`;
      writeFileSync(xmlFile, spMetadataXml);
      const convert = spawnSync(
        'php',
        [
          '-r',
          `require '${SSP}/lib/_autoload.php';
$out = "<?php\\n";
foreach (\\SimpleSAML\\Metadata\\SAMLParser::parseDescriptorsString(file_get_contents($argv[1])) as $entity) {
  $sp = $entity->getMetadata20SP();
  $sp['NameIDFormat'] = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
  $out .= '$metadata[' . var_export($sp['entityid'], true) . '] = ' . var_export($sp, true) . ";\\n";
}
echo $out;`,
          xmlFile,
        ],
        { encoding: 'utf8' },
      );
      if (convert.status !== 0 || !convert.stdout.includes('$metadata[')) throw new Error(`SAMLParser could not read the SP metadata: ${convert.stderr}${convert.stdout}`);
      const target = `${dir}/metadata/sp/${count}.php`;
      writeFileSync(target, convert.stdout);
      giveToWebServer(`${dir}/metadata/sp`);
    },
    close,
  };
}
