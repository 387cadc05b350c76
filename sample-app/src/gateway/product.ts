/** A product as the catalog service returns it. */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}
