export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}
