// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "examples/**/node_modules/**",
      "examples/**/bin/**",
      "coverage/**",
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        URL: "readonly",
        __dirname: "readonly",
        require: "readonly",
        module: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // The layers (docs/architecture.md): the pure core and the capacity arithmetic decide without I/O,
    // so they import nothing from the operations, the engine adapter, the plan CLI or the client
    // (its error classes excepted: plain data the core classifies); the emulator shares only wire/.
    files: ["provider/core/**/*.ts", "provider/capacity/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/ops", "**/ops/*", "**/engine", "**/engine/*", "**/plan", "**/plan/*"],
              message:
                "core and capacity are pure: they may not import operations, the engine adapter or the plan CLI.",
            },
            {
              regex: "(^|/)client(/(?!errors$)[^/]*)?$|^node:https?$|^node-fetch$",
              message:
                "core and capacity do no I/O: import the client's error classes from client/errors only.",
            },
            {
              group: ["@pulumi/*"],
              allowTypeImports: true,
              message: "core and capacity are free of Pulumi at run time (type imports only).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["wire/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/provider", "**/provider/*", "**/emulator", "**/emulator/*", "@pulumi/*"],
              message: "wire/ is shared by the provider and the emulator: it imports neither.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["emulator/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/provider", "**/provider/*", "@pulumi/*"],
              message: "the emulator shares only wire/ with the provider.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
