// The npm `openai` SDK against POST /v1/chat/completions, as a merchant's JavaScript chatbot uses it: only baseURL and
// apiKey change. Runs every case, then prints ONE JSON object of results on stdout (tests/e2e/test_openai_node_sdk.py
// asserts them). Env: SPENDRAIL_BASE_URL (<stack>/v1), SPENDRAIL_KEY (a tenant with room), SPENDRAIL_STOPPED_KEY (a
// tenant whose cap is too small for any answer). A case that throws unexpectedly is reported, not fatal.
import OpenAI from "openai";
import { VERSION } from "openai/version";

const baseURL = process.env.SPENDRAIL_BASE_URL;
const key = process.env.SPENDRAIL_KEY;
const stoppedKey = process.env.SPENDRAIL_STOPPED_KEY;
if (!baseURL || !key || !stoppedKey) {
  console.error("set SPENDRAIL_BASE_URL, SPENDRAIL_KEY and SPENDRAIL_STOPPED_KEY");
  process.exit(2);
}

// The SDK as a chatbot builds it (default maxRetries: 2), with a fetch that counts the HTTP requests it sends.
function client(apiKey) {
  const counter = { attempts: 0 };
  const sdk = new OpenAI({
    baseURL,
    apiKey,
    timeout: 30_000,
    fetch: (url, init) => {
      counter.attempts += 1;
      return fetch(url, init);
    },
  });
  return { sdk, counter };
}

const ask = (content) => [{ role: "user", content }];

function failure(error, counter) {
  return {
    errorClass: error?.constructor?.name ?? typeof error,
    isApiError: error instanceof OpenAI.APIError,
    status: error?.status ?? null,
    type: error?.type ?? null,
    code: error?.code ?? null,
    param: error?.param ?? null,
    message: String(error?.message ?? error),
    body: error?.error ?? null,
    retryAfter: error?.headers?.get?.("retry-after") ?? null,
    shouldRetry: error?.headers?.get?.("x-should-retry") ?? null,
    attempts: counter.attempts,
  };
}

async function plain() {
  const { sdk, counter } = client(key);
  const answer = await sdk.chat.completions.create({
    model: "auto",
    messages: ask("How do I track my order?"),
    user: "cust-1",
  });
  return {
    id: answer.id,
    object: answer.object,
    model: answer.model,
    role: answer.choices[0].message.role,
    content: answer.choices[0].message.content,
    finishReason: answer.choices[0].finish_reason,
    usage: answer.usage,
    spendrail: answer.spendrail ?? null,
    attempts: counter.attempts,
  };
}

async function streamed(includeUsage, question) {
  const { sdk, counter } = client(key);
  const stream = await sdk.chat.completions.create({
    model: "auto",
    messages: ask(question),
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const last = chunks.at(-1);
  return {
    chunks: chunks.length,
    objects: [...new Set(chunks.map((c) => c.object))],
    firstRole: chunks[0]?.choices[0]?.delta?.role ?? null,
    content: chunks.map((c) => c.choices[0]?.delta?.content ?? "").join(""),
    finishReasons: chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason).filter(Boolean)),
    usagesBeforeLast: chunks.slice(0, -1).filter((c) => c.usage).length,
    lastChoices: last?.choices?.length ?? null,
    usage: last?.usage ?? null,
    spendrail: last?.spendrail ?? null,
    attempts: counter.attempts,
  };
}

async function history() {
  const { sdk, counter } = client(key);
  const messages = [
    { role: "system", content: "You are the helpful assistant of Demo Store." },
    { role: "user", content: "Do you ship to Canada?" },
    { role: "assistant", content: "Yes, in 5 to 8 business days." },
    { role: "user", content: "How much does that cost?" },
  ];
  const first = await sdk.chat.completions.create({ model: "auto", messages });
  const again = await sdk.chat.completions.create({ model: "auto", messages });
  return {
    content: first.choices[0].message.content,
    usage: first.usage,
    cached: [first.spendrail?.cached ?? null, again.spendrail?.cached ?? null],
    costs: [first.usage?.cost ?? null, again.usage?.cost ?? null],
    attempts: counter.attempts,
  };
}

async function cachedTwice() {
  const { sdk } = client(key);
  const question = ask("What is your return policy?");
  const first = await sdk.chat.completions.create({ model: "auto", messages: question });
  const second = await sdk.chat.completions.create({ model: "auto", messages: question });
  return {
    cached: [first.spendrail?.cached ?? null, second.spendrail?.cached ?? null],
    costs: [first.usage?.cost ?? null, second.usage?.cost ?? null],
    sameContent: first.choices[0].message.content === second.choices[0].message.content,
  };
}

async function rawHeaders() {
  const { sdk } = client(key);
  const { data, response } = await sdk.chat.completions
    .create({ model: "auto", messages: ask("Can I change my delivery address?") })
    .withResponse();
  return {
    status: response.status,
    budgetState: response.headers.get("x-budget-state"),
    remainingUsd: response.headers.get("x-budget-remaining-usd"),
    requestId: response.headers.get("x-request-id"),
    spendrail: data.spendrail ?? null,
  };
}

// Each refused request: what was thrown and how many HTTP requests the SDK sent for it.
async function refused(apiKey, body) {
  const { sdk, counter } = client(apiKey);
  try {
    const answer = await sdk.chat.completions.create(body);
    return { errorClass: null, answered: answer, attempts: counter.attempts };
  } catch (error) {
    return failure(error, counter);
  }
}

const cases = {
  plain,
  streamWithUsage: () => streamed(true, "Where is my parcel right now?"),
  streamWithoutUsage: () => streamed(false, "Do you offer gift wrapping?"),
  history,
  cachedTwice,
  rawHeaders,
  budgetStop: () => refused(stoppedKey, { model: "auto", messages: ask("How do I track my order?") }),
  badKey: () => refused("sk-not-a-spendrail-key", { model: "auto", messages: ask("How do I track my order?") }),
  badModel: () => refused(key, { model: "gpt-4o", messages: ask("How do I track my order?") }),
  tools: () =>
    refused(key, {
      model: "auto",
      messages: ask("Where is order 1234?"),
      tools: [
        {
          type: "function",
          function: {
            name: "track_order",
            parameters: { type: "object", properties: { order: { type: "string" } } },
          },
        },
      ],
    }),
};

const results = { sdkVersion: VERSION, node: process.version };
for (const [name, run] of Object.entries(cases)) {
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { unexpected: failure(error, { attempts: null }), stack: String(error?.stack ?? "") };
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
