import { startStack, stopStack } from './stack';

// One platform for the whole run; the tests read its address and demo
// tokens from the environment this sets.
export default async function globalSetup() {
  const s = await startStack();
  process.env.E2E_URL = s.url;
  process.env.E2E_VENDOR_TOKEN = s.vars.MERCATO_VENDOR_TOKEN;
  process.env.E2E_PROVIDER_TOKEN = s.vars.MERCATO_PROVIDER_TOKEN;
  process.env.E2E_MARKETPLACE = s.vars.MERCATO_MARKETPLACE_ID;
  process.env.E2E_EMULATOR = s.vars.AWS_ENDPOINT_URL;
  process.env.E2E_STACK_LOG = s.dir + '/stack.log';
  return () => stopStack(s);
}
