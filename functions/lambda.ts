/**
 * AWS Lambda entry point (serverless.yml `functions/lambda.handler`, bundled as lambda.mjs):
 * the middy handler for this container's environment. Everything it does is in lib/lambda/.
 */
import { createLambdaHandler } from '../lib/lambda/middy-handler.js';

export const handler = createLambdaHandler(process.env);
